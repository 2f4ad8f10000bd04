#!/usr/bin/env bash
# Runs the QA examples (examples/qa: Playwright and Selenium) as docs/qa.md
# tells a QA engineer to, so the recipe never rots: against a companion this
# script starts (a fresh data directory, an account with two-factor
# authentication for each example), then against the real Backend.AI
# webserver 23.09.10 with its stand-in manager (scripts/bench/peer.py).
# Everything listens on 127.0.0.1 and is stopped when the script ends.
#
# Uses the companion binary and the extension the test suite built:
# BAIGATE_BIN (default target/debug/baigate) and BAIGATE_EXTENSION_DIR
# (default dist/extension).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The examples' Python tools, exactly as examples/qa/requirements.txt pins
# them, in a virtualenv named after that file's contents.
QA_VENV="$CACHE_DIR/qa-examples-$(sha256sum "$ROOT/examples/qa/requirements.txt" | cut -c1-12)"
ensure_qa_examples() {
    if [ -x "$QA_VENV/bin/python" ] && "$QA_VENV/bin/python" -c "import playwright, selenium" 2>/dev/null; then
        return 0
    fi
    make_venv "$QA_VENV" -r "$ROOT/examples/qa/requirements.txt"
}

ensure_chromium
ensure_peer_webserver
ensure_qa_examples

BIN="${BAIGATE_BIN:-$ROOT/target/debug/baigate}"
EXTENSION="${BAIGATE_EXTENSION_DIR:-$ROOT/dist/extension}"
[ -x "$BIN" ] || fail "$BIN is missing: build it first (cargo build -p baigate-companion)"
[ -f "$EXTENSION/manifest.json" ] || fail "$EXTENSION holds no extension: run scripts/build-extension.sh"
PYTHON="$QA_VENV/bin/python"
# No __pycache__ left in examples/qa.
export PYTHONDONTWRITEBYTECODE=1
EXAMPLES="$ROOT/examples/qa"

work="$(mktemp -d)"
companion_pid=""
peer_pid=""
cleanup() {
    # The peer stops itself (Redis, manager, webserver) when its stdin closes.
    exec 3>&- 2>/dev/null || true
    [ -n "$peer_pid" ] && wait "$peer_pid" 2>/dev/null || true
    [ -n "$companion_pid" ] && kill "$companion_pid" 2>/dev/null && wait "$companion_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Waits for a line with `marker` in `file` (what a started server printed);
# prints the word after it.
announced() {
    local file="$1" marker="$2" pid="$3"
    for _ in $(seq 1 600); do
        if grep -q "$marker" "$file" 2>/dev/null; then
            grep -m1 "$marker" "$file" | sed "s/.*$marker//" | awk '{print $1}'
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { cat "$file" >&2; fail "the server exited"; }
        sleep 0.1
    done
    cat "$file" >&2
    fail "no '$marker' from the server"
}

run_example() {
    local example="$1"
    shift
    say "examples/qa/$example $*"
    (cd "$ROOT" && "$PYTHON" "$EXAMPLES/$example" --extension "$EXTENSION" "$@")
}

# The companion reads BAIGATE_* variables as settings: none of this
# script's (BAIGATE_BIN…) may reach it. (env execs it, so $! is its pid.)
unset_settings=()
for name in $(compgen -e | grep '^BAIGATE_' || true); do unset_settings+=(-u "$name"); done
companion=(env "${unset_settings[@]}" BAIGATE_PASSWORD__BCRYPT_COST=4 "$BIN" --data-dir "$work/companion")

say "QA examples against a companion"
"${companion[@]}" serve --listen 127.0.0.1:0 >"$work/companion.log" 2>&1 &
companion_pid=$!
endpoint="$(announced "$work/companion.log" "listening on " "$companion_pid")"
endpoint="${endpoint%/}"
password='Qa-examples-42!'
for tool in playwright selenium; do
    printf '%s\n' "$password" | "${companion[@]}" user add \
        --email "qa-$tool@example.com" --username "qa-$tool" --password-stdin >/dev/null
    secret="$("$PYTHON" "$EXAMPLES/baigate_qa.py" enrol-totp "$endpoint" "qa-$tool" "$password")"
    run_example "${tool}_login.py" --endpoint "$endpoint" --username "qa-$tool" \
        --password "$password" --totp-secret "$secret"
done

say "QA examples against the Backend.AI webserver 23.09.10"
mkfifo "$work/peer.stdin"
python3 "$ROOT/scripts/bench/peer.py" serve "$PEER_WEBSERVER_VENV/bin/python" "$work/peer" \
    <"$work/peer.stdin" >"$work/peer.out" 2>&1 &
peer_pid=$!
exec 3>"$work/peer.stdin"
webserver="$(announced "$work/peer.out" "webserver " "$peer_pid")"
for tool in playwright selenium; do
    # The stand-in manager's one account (scripts/bench/standin_manager.py).
    run_example "${tool}_login.py" --endpoint "$webserver" --expect-server backend-ai \
        --username bench@example.com --password 'S3cret!pass'
done
say "QA examples passed"
