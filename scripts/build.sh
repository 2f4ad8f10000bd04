#!/usr/bin/env bash
# Builds the companion (release) into dist/bin/baigate.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$ROOT"
say "building the companion (release)"
cargo build --release --locked -p baigate-companion
mkdir -p dist/bin
install -m 0755 target/release/baigate dist/bin/baigate
