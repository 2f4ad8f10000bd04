#!/usr/bin/env bash
# Measures the companion (release build) beside the real Backend.AI webserver
# 23.09.10, and the extension's popup; prints a table and writes it to
# docs/benchmarks.md. BENCH_SECONDS sets the length of each load run (default 10).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh" bench
"$ROOT/scripts/build.sh"
"$ROOT/scripts/build-extension.sh"
cd "$ROOT"
cargo build --release --locked -p baigate-companion --example bcrypt_rate
cargo build --release --locked -p baigate-e2e --bin popup-timing
BENCH_PEER_PYTHON="$PEER_WEBSERVER_VENV/bin/python" python3 "$ROOT/scripts/bench.py"
