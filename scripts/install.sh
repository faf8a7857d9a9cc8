#!/usr/bin/env bash
# Install porestudio into ./.venv on a fresh Debian/Ubuntu machine with Python 3.11+.
#   bash scripts/install.sh          # the studio and the CLI
#   bash scripts/install.sh --dev    # plus the test tools (pytest, pytest-qt, Xvfb...)
# GPU users: set PORESTUDIO_TORCH="torch" (a CUDA build from PyPI) and add --gpu for Triton.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
for arg in "$@"; do
  case "$arg" in
    --dev) extras="${extras:+$extras,}dev" ;;
    --gpu) extras="${extras:+$extras,}gpu" ;;
    *) echo "install.sh: unknown option $arg (use --dev, --gpu)" >&2; exit 2 ;;
  esac
done
py=${PYTHON:-python3}

# System libraries: Qt's xcb plugin needs two small xcb libraries; tests and headless
# screenshots need Xvfb. Installed only when missing.
need=()
for pkg in libxcb-icccm4 libxcb-keysyms1 libgl1 libegl1 xvfb xauth; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "install.sh: apt-get install ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || "$py" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Pinned CPU build of PyTorch (an unpinned torch pulls a multi-GB CUDA build).
.venv/bin/python -m pip install -q "${PORESTUDIO_TORCH:-torch==2.13.0}"
.venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
echo "install.sh: porestudio installed in .venv" >&2
