#!/usr/bin/env bash
# Builds the browser extension into dist/extension (load it unpacked): three
# wasm modules (the popup, the options page, the service worker), each built
# on its own so each carries only its code, then the wasm-bindgen CLI for
# their JS glue.
# BAIGATE_PINNED_ENDPOINT=https://… pins every popup to that endpoint (an
# administrator can do the same without rebuilding, through managed storage).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_rust
ensure_wasm_target
ensure_wasm_bindgen

cd "$ROOT"
out="$ROOT/dist/extension"
staging="$ROOT/dist/.extension.new"
rm -rf "$staging"
mkdir -p "$staging/pkg"
for crate in baigate-extension baigate-options baigate-worker; do
    say "building $crate (wasm32, size-optimised)"
    cargo build --locked --profile wasm-release --target wasm32-unknown-unknown -p "$crate"
    "$WASM_BINDGEN" --target web --no-typescript --remove-name-section --out-dir "$staging/pkg" \
        "target/wasm32-unknown-unknown/wasm-release/${crate//-/_}.wasm"
done
cp extension/manifest.json "$staging/"
cp -R extension/_locales "$staging/"
cp -R extension/static/. "$staging/"
# Build settings the popup reads (settings.json); the pinned endpoint is null
# unless BAIGATE_PINNED_ENDPOINT is set.
pinned=null
if [ -n "${BAIGATE_PINNED_ENDPOINT:-}" ]; then
    case "$BAIGATE_PINNED_ENDPOINT" in
        http://*|https://*) ;;
        *) fail "BAIGATE_PINNED_ENDPOINT must start with http:// or https://" ;;
    esac
    escaped=$(printf '%s' "$BAIGATE_PINNED_ENDPOINT" | sed 's/\\/\\\\/g; s/"/\\"/g')
    pinned="\"$escaped\""
    say "pinned to $BAIGATE_PINNED_ENDPOINT"
fi
printf '{"pinned_endpoint": %s}\n' "$pinned" >"$staging/settings.json"
# Swap in whole, so a browser holding the old copy never sees half of one.
rm -rf "$out"
mv "$staging" "$out"
for wasm in "$out"/pkg/*_bg.wasm; do
    say "$(basename "$wasm"): $(wc -c <"$wasm") bytes, $(gzip -9c "$wasm" | wc -c) gzipped"
done
say "extension ready in dist/extension"
