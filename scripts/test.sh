#!/usr/bin/env bash
# Installs what is missing, then runs every check: formatting, clippy (native
# and wasm32), unit, integration and interoperability tests.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh" test
cd "$ROOT"

say "cargo fmt --check"
cargo fmt --all -- --check

say "clippy (native)"
cargo clippy --locked --workspace --all-targets -- -D warnings

say "clippy (wasm32: the shared crate)"
cargo clippy --locked -p baigate-shared --target wasm32-unknown-unknown -- -D warnings

say "tests"
BACKENDAI_CLIENT_VENV="$PY_CLIENT_VENV" AIOSMTPD_VENV="$SMTP_VENV" cargo test --locked --workspace

say "all checks passed"
