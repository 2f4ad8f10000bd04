#!/usr/bin/env bash
# Measures the companion (release build) and prints a table. BENCH_SECONDS sets
# the length of each load run (default 10).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh" bench
"$ROOT/scripts/build.sh"
cd "$ROOT"
cargo build --release --locked -p baigate-companion --example bcrypt_rate
python3 "$ROOT/scripts/bench.py"
