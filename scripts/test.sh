#!/usr/bin/env bash
# Installs what is missing, then runs every check: formatting, clippy (native
# and wasm32), unit, integration and interoperability tests, the extension's
# component tests in headless Chromium, and the end-to-end suite (the built
# extension in headless Chromium against a real companion process).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh" test
cd "$ROOT"

say "cargo fmt --check"
cargo fmt --all -- --check

say "clippy (native)"
cargo clippy --locked --workspace --all-targets -- -D warnings

say "clippy (the companion without its saml feature, for builds without libxmlsec1)"
cargo clippy --locked -p baigate-companion --no-default-features --lib -- -D warnings

say "cargo deny: licences, bans and sources (deny.toml)"
"$CARGO_DENY" check licenses bans sources

say "clippy (wasm32: the shared crate, the popup, the options page, the service worker)"
cargo clippy --locked -p baigate-shared -p baigate-extension -p baigate-options -p baigate-worker \
    --target wasm32-unknown-unknown --all-targets -- -D warnings

"$ROOT/scripts/build-extension.sh"

say "tests: unit, integration, interoperability, end to end"
# The end-to-end suite uses the companion binary these tests build
# (target/debug/baigate) and the extension just built in dist/extension.
BACKENDAI_CLIENT_VENV="$PY_CLIENT_VENV" AIOSMTPD_VENV="$SMTP_VENV" OIDC_PROVIDER_DIR="$OIDC_PROVIDER_DIR" \
    cargo test --locked --workspace

say "API fuzzing: schemathesis against the companion's OpenAPI and the Backend.AI routes"
# The binary the tests above built, so that no other build replaces it.
API_FUZZ_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/baigate" "$ROOT/scripts/api-fuzz.sh"

say "parser fuzzing: cargo fuzz, a short run of each target"
"$ROOT/scripts/fuzz.sh"

say "extension component tests (wasm32, headless Chromium)"
CHROMEDRIVER=/usr/bin/chromedriver \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$(dirname "$WASM_BINDGEN")/wasm-bindgen-test-runner" \
    cargo test --locked -p baigate-extension --target wasm32-unknown-unknown --test web

# The QA kit's recipe (docs/qa.md): both examples, against a companion and
# the real Backend.AI webserver 23.09.
"$ROOT/scripts/qa-examples.sh"

say "all checks passed"
