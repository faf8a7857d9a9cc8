#!/usr/bin/env bash
# The one script to run on a lent GPU machine (H100/H200), from the repository root:
#
#     OUT=/some/folder bash scripts/gpu_session.sh
#
# Needs python3 with torch, triton, numpy, scipy, h5py, numba, tifffile (no pip, no
# internet: porestudio is used from the source tree through PYTHONPATH). Every step runs
# under `timeout`, so one failure or hang does not lose the others; the whole script stays
# under ~9 minutes. Results land flat in $OUT (at most 8 files):
#   gpu_session.log   everything printed (nvidia-smi, versions, CT labelling, benchmark, tests)
#   ct_*.h5, datasets.json, datasets.md   the CT sets labelled with full tensors on the GPU
#                     (copy the .h5 into resources/, the other two into docs/)
#   gpu_bench.json    all benchmark numbers;  gpu_bench.md  the same as markdown tables
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu_out}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
export TRITON_DEFAULT_FP_FUSION=${TRITON_DEFAULT_FP_FUSION:-1}
PY=${PYTHON:-python3}
exec > >(tee -a "$OUT/gpu_session.log") 2>&1

step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2 start rc
    shift 2
    echo "=== ${name} (limit ${limit} s) $(date -u +%H:%M:%S)"
    start=$(date +%s)
    timeout -k 10 "$limit" "$@"
    rc=$?
    echo "=== ${name}: exit ${rc} after $(($(date +%s) - start)) s"
}

step nvidia-smi 30 nvidia-smi
step versions 60 "$PY" - <<'EOF'
import importlib, platform
print("python", platform.python_version())
for name in ("torch", "triton", "numpy", "scipy", "h5py", "numba", "tifffile", "pytest"):
    try:
        print(name, importlib.import_module(name).__version__)
    except Exception as exc:
        print(name, "MISSING", type(exc).__name__, exc)
import torch
print("cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
EOF
# the physics must import without the GUI / CLI extras (tqdm, pyvista, Qt are not needed)
step import-check 60 "$PY" - <<'EOF'
import sys
import porestudio.physics.lbm.backend_triton, porestudio.physics.permeability  # noqa: F401
from porestudio.physics.device import resolve_device, triton_available
heavy = [m for m in ("tqdm", "pyvista", "vtk", "PySide6", "pyqtgraph") if m in sys.modules]
print("device:", resolve_device("auto"), "| triton:", triton_available(), "| heavy:", heavy)
sys.exit(1 if heavy else 0)
EOF
# the CT sets of the studio, every sample labelled with the full tensor (periodic mode)
cp docs/datasets.json "$OUT/datasets.json"
step ct-labelling 200 "$PY" scripts/build_paper_datasets.py --steps ct --device cuda --ct-all \
    --ct-fresh --ct-mode periodic --workers 1 --out /tmp/ct-build --resources "$OUT" --docs "$OUT"
step bench 150 "$PY" scripts/gpu_bench.py --out "$OUT" --sections copy,sphere,tensor,subvoxel
if "$PY" -c "import pytest" 2>/dev/null; then
    step pytest-gpu 120 "$PY" -m pytest tests/physics -m gpu -q -o addopts="" -p no:xvfb \
        -p no:cacheprovider --continue-on-collection-errors -rs
else
    echo "=== pytest missing: gpu tests skipped"
fi
echo "=== done $(date -u +%H:%M:%S); files in $OUT:"
ls -la "$OUT"
