#!/usr/bin/env bash
# Render the studio on the default data and save it (default: docs/screenshot.png).
# Uses a throw-away settings folder so a saved window layout does not change the picture;
# starts a virtual X server when there is no display (needs xvfb-run).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/screenshot.png}"
config="$(mktemp -d)"
trap 'rm -rf "$config"' EXIT
run=(.venv/bin/porestudio --screenshot "$out" --overwrite)
if [ -n "${DISPLAY:-}" ]; then
    XDG_CONFIG_HOME="$config" "${run[@]}"
else
    XDG_CONFIG_HOME="$config" xvfb-run -a -s "-screen 0 1600x1000x24" "${run[@]}"
fi
