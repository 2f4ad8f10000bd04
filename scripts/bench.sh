#!/usr/bin/env bash
# Measures the companion (release build) beside the real Backend.AI webserver
# 23.09.10, and the extension's popup, then several companions on one
# PostgreSQL behind HAProxy; prints tables and writes them to
# docs/benchmarks.md. BENCH_SECONDS sets the length of each load run (default 10).
#   ./scripts/bench.sh          everything
#   ./scripts/bench.sh scale    only the several-companions section
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh" bench
cd "$ROOT"

# The 5,000-session rows compare a baigate built before an activity touch
# stopped voiding the session cache: built once from that commit's sources
# (git archive, its own target directory, removed after) into the cache.
BEFORE_REV=910ce0ead713e4d8dfb2d6ff90f622af60ab1175
BEFORE_BIN="$CACHE_DIR/baigate-before-touch-fix-${BEFORE_REV:0:10}"
if [ ! -x "$BEFORE_BIN" ]; then
    say "building baigate at ${BEFORE_REV:0:10} (before the touch fix), once"
    before_src="$(mktemp -d)"
    git -C "$ROOT" archive "$BEFORE_REV" | tar -x -C "$before_src"
    (cd "$before_src" && CARGO_TARGET_DIR="$before_src/target" \
        cargo build --release --locked -p baigate-companion --bin baigate)
    mkdir -p "$CACHE_DIR"
    cp "$before_src/target/release/baigate" "$BEFORE_BIN"
    rm -rf "$before_src"
fi
export BENCH_BEFORE_BIN="$BEFORE_BIN" BENCH_BEFORE_REV="$BEFORE_REV"

if [ "${1:-}" = scale ]; then
    "$ROOT/scripts/build.sh"
    python3 "$ROOT/scripts/bench.py" scale
    exit 0
fi

"$ROOT/scripts/build.sh"
"$ROOT/scripts/build-extension.sh"
cargo build --release --locked -p baigate-companion --example bcrypt_rate
cargo build --release --locked -p baigate-e2e --bin popup-timing
BENCH_PEER_PYTHON="$PEER_WEBSERVER_VENV/bin/python" python3 "$ROOT/scripts/bench.py"
