#!/usr/bin/env bash
# Screenshot of the desktop player mid-playback with the stats overlay -> docs/img/desktop.png
#
#   scripts/screenshot_desktop.sh [OUT.png] [extra apps.desktop flags...]
#
# Runs the app with the embedded fake backend (tiny catalog, real packaged media; the first
# run packages it into .nrdp-desktop/, which takes a few minutes), plays t-ocean and saves
# the window 3 s after the first frame. Uses Xvfb (xvfb-run) when it is installed, so the
# real xcb platform renders; otherwise Qt's offscreen platform (same widgets, same grab).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/img/desktop.png}"
shift || true
py="${PYTHON:-.venv/bin/python}"
args=(-m apps.desktop --play t-ocean --stats --screenshot "$out" --quit-after 3 --size 1024x640 "$@")
if command -v xvfb-run >/dev/null 2>&1 && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    xvfb-run -a -s "-screen 0 1280x800x24" "$py" "${args[@]}"
else
    QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" "$py" "${args[@]}"
fi
