#!/usr/bin/env bash
# API fuzzing with schemathesis (pinned, installed into ~/.cache/baigate):
# starts a companion on a free loopback port with a throw-away data
# directory, then
#   1. the companion's own document, /companion/openapi.json, with every
#      check (--checks all) and every phase, the stateful one included;
#   2. the Backend.AI webserver routes from tests/fixtures/webserver-openapi.yaml,
#      checking for server errors and content types that differ from the
#      document.
# Exits non-zero when either run finds a failure.
#
# Bounded: API_FUZZ_EXAMPLES cases per operation (default 25), a fixed
# API_FUZZ_SEED (default 1, so a failure reproduces), and each run stops
# after API_FUZZ_TIMEOUT seconds (default 300). A longer run:
#   API_FUZZ_EXAMPLES=500 API_FUZZ_SEED=$RANDOM ./scripts/api-fuzz.sh
# API_FUZZ_BIN names a built `baigate` to test instead of building one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EXAMPLES="${API_FUZZ_EXAMPLES:-25}"
SEED="${API_FUZZ_SEED:-1}"
RUN_TIMEOUT="${API_FUZZ_TIMEOUT:-300}"
PASSWORD='Fuzz!ing-pass-42'

ensure_schemathesis
ST="$SCHEMATHESIS_VENV/bin/schemathesis"
PY="$SCHEMATHESIS_VENV/bin/python"

if [ -z "${API_FUZZ_BIN:-}" ]; then
    say "building baigate"
    (cd "$ROOT" && cargo build --locked -q -p baigate-companion --bin baigate)
    API_FUZZ_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/baigate"
fi
[ -x "$API_FUZZ_BIN" ] || fail "no baigate binary at $API_FUZZ_BIN"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"

# Cheap bcrypt, no throttle or lockout in the way, sessions to spare, open
# signup; no configuration from the caller's environment.
for name in $(compgen -e | grep '^BAIGATE_' || true); do unset "$name"; done
export BAIGATE_PASSWORD__BCRYPT_COST=4 \
    BAIGATE_THROTTLE__PER_IP_PER_MINUTE=0 \
    BAIGATE_LOCKOUT__MAX_FAILURES=1000000 \
    BAIGATE_LOCKOUT__MAX_CONSECUTIVE=1000000 \
    BAIGATE_SESSION__MAX_CONCURRENT=10 \
    BAIGATE_SIGNUP__MODE=open

for account in fuzz web; do
    printf '%s\n' "$PASSWORD" |
        "$API_FUZZ_BIN" user add --data-dir "$WORK/data" --email "$account@example.com" --password-stdin >/dev/null
done

say "starting the companion on $BASE"
"$API_FUZZ_BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

# Waits for the server, logs in (own and spare sessions of one account, one
# session of another) and prints shell assignments of the session tokens and
# the public ids of the first account's two sessions.
SESSIONS="$("$PY" - "$BASE" "$PASSWORD" <<'PY'
import json, sys, time, urllib.request

base, password = sys.argv[1], sys.argv[2]

def call(method, path, body=None, session=None):
    request = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    if session:
        request.add_header("X-BackendAI-SessionID", session)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.headers, json.load(answer)

for _ in range(100):
    try:
        call("GET", "/health")
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the companion did not answer /health")

def login(email):
    headers, body = call("POST", "/server/login", {"username": email, "password": password})
    if not body.get("authenticated"):
        sys.exit(f"login as {email} failed: {body}")
    return headers["X-BackendAI-SessionID"]

own, spare, web = login("fuzz@example.com"), login("fuzz@example.com"), login("web@example.com")
_, sessions = call("GET", "/companion/sessions", session=own)
own_id = next(s["id"] for s in sessions if s["current"])
spare_id = next(s["id"] for s in sessions if not s["current"])
print(f"OWN_TOKEN={own} OWN_ID={own_id} SPARE_ID={spare_id} WEB_TOKEN={web}")
PY
)" || { cat "$WORK/server.log" >&2; fail "could not set up the sessions"; }
eval "$SESSIONS"

# schemathesis writes its example database and reports under the current
# directory: keep them in the throw-away one.
cd "$WORK"
export SCHEMATHESIS_HOOKS="$ROOT/tests/fixtures/schemathesis_hooks.py"
common=(--max-examples "$EXAMPLES" --seed "$SEED" --workers 1 --request-timeout 10
    --generation-database none --no-color)
status=0

say "schemathesis: /companion/openapi.json, every check, stateful phase included"
API_FUZZ_OWN_SESSION="$OWN_ID" API_FUZZ_SPARE_SESSION="$SPARE_ID" API_FUZZ_PASSWORD="$PASSWORD" \
    timeout "$RUN_TIMEOUT" "$ST" run "$BASE/companion/openapi.json" \
    -H "X-BackendAI-SessionID: $OWN_TOKEN" --checks all "${common[@]}" || status=1

# The hook must have kept the run's own session alive, or the later
# requests tested nothing but the 401.
"$PY" - "$BASE" "$OWN_TOKEN" <<'PY' || { status=1; printf 'error: the run ended its own session\n' >&2; }
import json, sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/server/login-check", method="POST",
    headers={"X-BackendAI-SessionID": sys.argv[2]})
with urllib.request.urlopen(request, timeout=10) as answer:
    sys.exit(0 if json.load(answer)["authenticated"] else 1)
PY

say "schemathesis: the Backend.AI webserver routes (no 5xx, content types as documented)"
API_FUZZ_WEB_SESSION="$WEB_TOKEN" \
    timeout "$RUN_TIMEOUT" "$ST" run "$ROOT/tests/fixtures/webserver-openapi.yaml" --url "$BASE" \
    --checks not_a_server_error,content_type_conformance "${common[@]}" || status=1

if grep -q "panicked\|request failed" "$WORK/server.log"; then
    printf 'error: the companion logged a fault:\n' >&2
    grep "panicked\|request failed" "$WORK/server.log" | head -20 >&2
    status=1
fi

if [ "$status" -ne 0 ]; then
    printf -- '--- the end of the server log ---\n' >&2
    tail -n 40 "$WORK/server.log" >&2
    fail "API fuzzing found failures (seed $SEED)"
fi
say "API fuzzing: no failures"
