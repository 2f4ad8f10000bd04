#!/usr/bin/env bash
# Installs what is missing, builds the extension into dist/extension and the
# companion into dist/bin, and serves the companion on 127.0.0.1:8090 with its
# embedded defaults. Extra arguments go to `baigate serve`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh" run
"$ROOT/scripts/build-extension.sh"
"$ROOT/scripts/build.sh"

BAIGATE="$ROOT/dist/bin/baigate"
cat <<TEXT

baigate is starting.

  Load the extension: open chrome://extensions in Chrome or Chromium, turn on
  "Developer mode", click "Load unpacked" and choose
    $ROOT/dist/extension
  then pin baigate's toolbar button. Its popup logs in to this companion
  (http://127.0.0.1:8090) or, under "Advanced", to any Backend.AI endpoint.

In another terminal:

  Create the first account (the password is read from standard input):
    printf '%s\n' 'your-Passw0rd!' | $BAIGATE user add --email you@example.com --role admin --password-stdin
    $BAIGATE user list

  Point a Backend.AI client at it, e.g. the Python CLI in session mode:
    BACKEND_ENDPOINT=http://127.0.0.1:8090 BACKEND_ENDPOINT_TYPE=session backend.ai login

  A Backend.AI WebUI reads its settings from http://127.0.0.1:8090/config.toml.

Settings: built-in defaults, then --config FILE, then BAIGATE_* variables (README).
Stop with Ctrl-C.

TEXT
exec "$BAIGATE" serve "$@"
