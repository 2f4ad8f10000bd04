#!/usr/bin/env bash
# Installs what is missing for the given purposes: run, test, bench.
#   ./scripts/setup.sh run test
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$#" -gt 0 ] || set -- run
for purpose in "$@"; do
    case "$purpose" in
        run)
            ensure_rust
            ensure_build_libraries
            ensure_wasm_target
            ensure_wasm_bindgen
            ;;
        test)
            ensure_rust
            ensure_build_libraries
            ensure_wasm_target
            ensure_wasm_bindgen
            ensure_chromium
            ensure_saml_provider
            command -v setsid >/dev/null || apt_install util-linux
            # A throw-away PostgreSQL cluster per test binary (tests/src/postgres.rs),
            # and HAProxy in front of two companions (companion/tests/it/several.rs).
            apt_install postgresql haproxy
            ensure_py_client
            ensure_smtp_server
            ensure_openid_provider
            ensure_cargo_deny
            ensure_peer_webserver
            ;;
        bench)
            ensure_rust
            ensure_build_libraries
            ensure_wasm_target
            ensure_wasm_bindgen
            ensure_chromium
            command -v wrk >/dev/null || apt_install wrk
            # Several companions on one PostgreSQL behind HAProxy (scripts/bench/scale.py).
            apt_install postgresql haproxy
            command -v curl >/dev/null || apt_install curl
            command -v python3 >/dev/null || apt_install python3
            ensure_peer_webserver
            ;;
        *)
            fail "unknown purpose '$purpose' (expected run, test or bench)"
            ;;
    esac
done
