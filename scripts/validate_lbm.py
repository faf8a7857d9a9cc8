"""Validate the CPU LBM and the permeability driver against known answers.

Writes a markdown table (case, expected, got, error, steps, time) to docs/validation_lbm.md.

    .venv/bin/python scripts/validate_lbm.py            # standard set (minutes)
    .venv/bin/python scripts/validate_lbm.py --full     # adds the 128³ sphere cell
    .venv/bin/python scripts/validate_lbm.py --device cuda

References: plane Poiseuille (exact; with TRT Λ = 3/16 the nodal parabola is exact, so
the superficial k is the midpoint sum (h³/12 + h/24)/H); square duct (series,
k = 0.0351443 a²); simple-cubic sphere arrays, Zick & Homsy (1982) table 2 drag K
(k = L³ / (6π a K)), and the Sangani & Acrivos (1982) series at c = 0.2; Berea sandstone
whole-sample DNS (OpenPNM example: 1360 / 1304 / 1193 mD).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from porestudio.physics import lbm_cpu  # noqa: E402
from porestudio.physics.flow import FlowProblem  # noqa: E402
from porestudio.physics.permeability import permeability  # noqa: E402

ZICK_HOMSY_SC = [(0.064, 2.810), (0.125, 4.292), (0.216, 7.442), (0.343, 15.4), (0.45, 28.1)]
SQUARE_DUCT = 0.0351442537
ROWS: list[tuple[str, str, str, str, str, str]] = []


def row(case: str, expected: float | str, got: float | str, err: str, steps, seconds: float):
    fmt = lambda v: f"{v:.6g}" if isinstance(v, float) else str(v)  # noqa: E731
    ROWS.append((case, fmt(expected), fmt(got), err, str(steps), f"{seconds:.1f}"))
    print(" | ".join(ROWS[-1]), flush=True)


def rel(got: float, expected: float) -> str:
    return f"{100 * (got / expected - 1):+.2f} %"


def sphere_cell(n: int, c: float) -> tuple[np.ndarray, float]:
    a = n * (3 * c / (4 * np.pi)) ** (1 / 3)
    x = np.arange(n) + 0.5 - n / 2
    z, y, xx = np.meshgrid(x, x, x, indexing="ij")
    return (xx * xx + y * y + z * z) > a * a, a


def sangani_acrivos_sc(c: float) -> float:
    s = c ** (1 / 3)
    return 1 / (1 - 1.7601 * s + c - 1.5593 * c**2 + 3.9799 * c ** (8 / 3) - 3.0734 * c ** (10 / 3))


def k_axis(pore, device, axis="x", tau=None, tol=1e-6, mode="periodic"):
    t0 = time.perf_counter()
    r = permeability(pore, axes=axis, mode=mode, method="lbm", device=device, tau=tau, tol=tol)
    i = "xyz".index(axis)
    return r.k_lu[i, i], r.runs[0].steps, time.perf_counter() - t0


def poiseuille(device):
    h = 16
    pore = np.zeros((1, h + 2, 2), bool)
    pore[:, 1:-1] = True
    k, steps, sec = k_axis(pore, device, tol=1e-9)
    exact = (h**3 / 12 + h / 24) / (h + 2)
    row(f"plane Poiseuille h={h} (discrete exact)", exact, k, rel(k, exact), steps, sec)
    cont = h**3 / 12 / (h + 2)
    row(f"plane Poiseuille h={h} (continuum h²/12)", cont, k, rel(k, cont), steps, sec)


def duct(device):
    a = 10
    problem = FlowProblem(np.ones((1, a, a), bool), axis="z", side_bc="noslip", tau=2.0, tol=1e-9)
    t0 = time.perf_counter()
    r = lbm_cpu.run(problem)
    k = problem.viscosity * r.mean_velocity_xyz[2] / problem.force
    exact = SQUARE_DUCT * a * a
    row(
        "square duct a=10, no-slip walls",
        exact,
        k,
        rel(k, exact),
        r.steps,
        time.perf_counter() - t0,
    )


def spheres(device, n: int, cases):
    for c, big_k in cases:
        pore, a = sphere_cell(n, c)
        k, steps, sec = k_axis(pore, device)
        expected = n**3 / (6 * np.pi * a * big_k)
        row(f"SC spheres {n}³ c={c}", expected, k, rel(k, expected), steps, sec)


def tau_independence(device):
    pore, _ = sphere_cell(32, 0.2)
    ks = {}
    for tau in (0.55, 0.8, 1.0, 2.0, 3.0):
        ks[tau], steps, sec = k_axis(pore, device, tau=tau, tol=1e-7)
        row(f"TRT τ={tau}: SC spheres 32³ c=0.2", "τ-free", ks[tau], "", steps, sec)
    spread = (max(ks.values()) - min(ks.values())) / np.mean(list(ks.values()))
    row("TRT spread over τ ∈ [0.55, 3]", "< 0.5 %", f"{100 * spread:.3f} %", "", "", 0.0)


def symmetry(device):
    from porestudio.structures.generators import grf

    pore = grf(7, shape=(32, 32, 32), porosity=0.45, correlation_length_vox=(3.0, 3.0, 8.0)).pore
    t0 = time.perf_counter()
    k = permeability(pore, tensor=True, mode="periodic", device=device, tol=1e-7).k_lu
    rot = np.ascontiguousarray(np.rot90(pore, axes=(1, 2)))
    k_rot = permeability(rot, tensor=True, mode="periodic", device=device, tol=1e-7).k_lu
    r = np.array([[0, 1, 0], [-1, 0, 0], [0, 0, 1]])
    err = np.abs(k_rot - r @ k @ r.T).max() / np.abs(k).max()
    sec = time.perf_counter() - t0
    row(
        "GRF 32³ turned 90° about z: permuted tensor",
        "R K Rᵀ",
        "max dev",
        f"{100 * err:.3f} %",
        "",
        sec,
    )
    eig = np.linalg.eigvalsh((k + k.T) / 2)
    vec = np.linalg.eigh((k + k.T) / 2)[1][:, -1]
    row(
        "GRF stretched along x: largest eigenvector",
        "≈ e_x",
        np.round(vec, 3).tolist(),
        "",
        "",
        0.0,
    )
    row("GRF stretched along x: k_xx / max(k_yy, k_zz)", "> 1", k[0, 0] / max(k[1, 1], k[2, 2]),
        f"eig {np.round(eig, 3).tolist()}", "", 0.0)  # fmt: skip
    half = pore[:, :, :16]
    mirror = np.concatenate([half, half[:, :, ::-1]], axis=2)
    t0 = time.perf_counter()
    km = permeability(mirror, tensor=True, mode="periodic", device=device, tol=1e-7).k_lu
    off = max(abs(km[0, 1]), abs(km[0, 2]), abs(km[1, 0]), abs(km[2, 0])) / np.abs(km).max()
    row(
        "mirror-symmetric (x) GRF: k_xy, k_xz",
        "0",
        f"{off:.2e} of max",
        "",
        "",
        time.perf_counter() - t0,
    )
    t0 = time.perf_counter()
    kk = permeability(pore, tensor=True, mode="kuhn", device=device, tol=1e-6)
    diag = "periodic diag: " + ", ".join(f"{v:.4g}" for v in np.diag(k))
    steps = sum(r.steps for r in kk.runs)
    row("Kuhn tensor of the stretched GRF", diag, np.round(kk.k_lu, 4).tolist(),
        f"asym {kk.asymmetry:.3f}", steps, time.perf_counter() - t0)  # fmt: skip


def berea(device):
    from porestudio.structures.ct import load_structure

    s = load_structure(ROOT / "resources/ct/berea_openpnm/berea_200_pore0_solid255.tif")
    dns_md = {"x": 1360.0, "y": 1304.0, "z": 1193.0}
    for origin in ((0, 0, 0), (100, 100, 100)):
        z, y, x = origin
        sub = s.replace(pore=np.ascontiguousarray(s.pore[z : z + 100, y : y + 100, x : x + 100]))
        t0 = time.perf_counter()
        r = permeability(sub, mode="kuhn", device=device)
        md = np.diag(r.k_m2) / 9.869233e-16
        for i, a in enumerate("xyz"):
            ratio = md[i] / dns_md[a]
            row(f"Berea 100³ at {origin}, k_{a}{a} [mD] (φ={r.porosity:.3f})", dns_md[a], md[i],
                f"ratio {ratio:.2f}", r.runs[i].steps, time.perf_counter() - t0)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add the 128³ sphere cell")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=str(ROOT / "docs/validation_lbm.md"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    poiseuille(args.device)
    duct(args.device)
    spheres(args.device, 64, [(0.2, sangani_acrivos_sc(0.2)), *ZICK_HOMSY_SC])
    if args.full:
        spheres(args.device, 128, [(0.2, sangani_acrivos_sc(0.2))])
    tau_independence(args.device)
    symmetry(args.device)
    berea(args.device)
    write(Path(args.out), args, time.perf_counter() - t0)
    return 0


def write(path: Path, args, total: float) -> None:
    lines = [
        "# LBM validation",
        "",
        f"Generated by `scripts/validate_lbm.py{' --full' if args.full else ''}` on "
        f"{datetime.date.today()} ({platform.machine()}, {platform.processor() or 'cpu'}, "
        f"device {args.device}); total {total / 60:.1f} min. TRT Λ = 3/16, default τ and "
        "force of `porestudio.physics.permeability`, float32, tol 1e-6 unless stated. "
        "Times are wall-clock on a shared, loaded machine.",
        "",
        "| case | expected | got | error | steps | time [s] |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(r) + " |" for r in ROWS),
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
