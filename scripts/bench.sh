#!/usr/bin/env bash
# Measures the companion (release build) and the extension's popup, and prints
# a table. BENCH_SECONDS sets the length of each load run (default 10).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh" bench
"$ROOT/scripts/build.sh"
"$ROOT/scripts/build-extension.sh"
cd "$ROOT"
cargo build --release --locked -p baigate-companion --example bcrypt_rate
cargo build --release --locked -p baigate-e2e --bin popup-timing
python3 "$ROOT/scripts/bench.py"
