#!/usr/bin/env bash
# Install porestudio into ./.venv on a fresh Debian/Ubuntu machine with Python 3.11+.
#   bash scripts/install.sh             # the studio and the CLI (extra "studio")
#   bash scripts/install.sh --dev       # plus the test tools (pytest, pytest-qt, Xvfb...)
#   bash scripts/install.sh --headless  # a labelling node: library + CLI + Dask, no Qt
# GPU users: set PORESTUDIO_TORCH="torch" (a CUDA build from PyPI) and add --gpu for Triton.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
headless=0
for arg in "$@"; do
  case "$arg" in
    --dev) extras="${extras:+$extras,}dev" ;;
    --gpu) extras="${extras:+$extras,}gpu" ;;
    --headless) headless=1 ;;
    *) echo "install.sh: unknown option $arg (use --dev, --gpu, --headless)" >&2; exit 2 ;;
  esac
done
if [ "$headless" = 1 ]; then
  extras="${extras:+$extras,}distributed"
else
  extras="studio${extras:+,$extras}"
fi
py=${PYTHON:-python3}

# System libraries: the studio's Qt xcb plugin needs small xcb libraries (libxcb-cursor0
# since Qt 6.5); tests and headless screenshots need Xvfb. A headless node needs only GL
# (VTK, for STL/VTI export). Installed only when missing.
pkgs=(libgl1 libegl1)
if [ "$headless" = 0 ]; then
  pkgs+=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 xvfb xauth)
fi
need=()
for pkg in "${pkgs[@]}"; do
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
.venv/bin/python -m pip install -q -e ".[$extras]"
echo "install.sh: porestudio installed in .venv (extras: $extras)" >&2
