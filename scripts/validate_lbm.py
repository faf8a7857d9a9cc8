"""Validate the LBM and the permeability driver against known answers.

Writes a markdown report (method notes + a table: case, expected, got, error, steps, time)
to docs/validation_lbm.md.

    .venv/bin/python scripts/validate_lbm.py              # standard set (~15 min on 2 cores)
    .venv/bin/python scripts/validate_lbm.py --full       # adds 128³ staircase spheres, Berea 200³
    .venv/bin/python scripts/validate_lbm.py --device cuda
    .venv/bin/python scripts/validate_lbm.py --only spheres --sizes 48,64,96,128

References: plane Poiseuille (exact for TRT Λ = 3/16 with halfway bounce-back: the nodal
parabola is exact, superficial k = (h³/12 + h/24)/H); square duct (series,
k = 0.0351443 a²); simple-cubic sphere arrays: Zick & Homsy (1982, table 2) drag K,
k = L³ / (6π a K), between table points the Sangani & Acrivos (1982) series times the
interpolated Zick–Homsy / series ratio (see ``sc_drag``); inclined perforated plates
(the periodic tensor is the reference of the Kuhn off-diagonals); Berea sandstone
whole-sample DNS (OpenPNM example: 1360 / 1304 / 1193 mD).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from _dense_trt import dense_trt_k  # noqa: E402
from _sphere_reference import (  # noqa: E402
    ZICK_HOMSY_SC,
    k_sphere_reference,
    sphere_cell,
    sphere_level_set,
)
from _validate_notes import METHOD_NOTES  # noqa: E402

from porestudio.physics.permeability import permeability  # noqa: E402

SQUARE_DUCT = 0.0351442537
ROWS: list[tuple[str, ...]] = []
NOTES: list[str] = []


def row(case: str, expected: float | str, got: float | str, err: str, steps, seconds: float):
    fmt = lambda v: f"{v:.6g}" if isinstance(v, float) else str(v)  # noqa: E731
    ROWS.append((case, fmt(expected), fmt(got), err, str(steps), f"{seconds:.1f}"))
    print(" | ".join(ROWS[-1]), flush=True)


def rel(got: float, expected: float) -> str:
    return f"{100 * (got / expected - 1):+.2f} %"


def k_axis(pore, device, axis="x", tau=None, tol=1e-6, mode="periodic", dtype="float32"):
    t0 = time.perf_counter()
    r = permeability(
        pore, axes=axis, mode=mode, method="lbm", device=device, tau=tau, tol=tol, dtype=dtype
    )
    i = "xyz".index(axis)
    return r.k_lu[i, i], r.runs[0].steps, time.perf_counter() - t0


# --- exact channel solutions -------------------------------------------------------------


def poiseuille(device):
    h = 16
    pore = np.zeros((1, h + 2, 2), bool)
    pore[:, 1:-1] = True
    k, steps, sec = k_axis(pore, device, tol=1e-9, dtype="float64")
    exact = (h**3 / 12 + h / 24) / (h + 2)
    row(f"plane Poiseuille h={h} (discrete exact)", exact, k, rel(k, exact), steps, sec)
    cont = h**3 / 12 / (h + 2)
    row(f"plane Poiseuille h={h} (continuum h²/12)", cont, k, rel(k, cont), steps, sec)


def duct(device):
    a = 10
    pore = np.zeros((1, a + 2, a + 2), bool)
    pore[:, 1:-1, 1:-1] = True
    k, steps, sec = k_axis(pore, device, axis="z", tol=1e-9, dtype="float64")
    exact = SQUARE_DUCT * a**4 / (a + 2) ** 2
    row("square duct a=10 in a solid frame", exact, k, rel(k, exact), steps, sec)


# --- simple-cubic sphere arrays ----------------------------------------------------------


def spheres(device, n: int, fractions, dtype="float32", tol=1e-6, label=""):
    for c in fractions:
        pore = sphere_cell(n, c)
        c_vox = 1.0 - float(pore.mean())
        k, steps, sec = k_axis(pore, device, tol=tol, dtype=dtype)
        expected = k_sphere_reference(n, c, c_vox)
        row(f"SC spheres {n}³ c={c} (c_voxel {c_vox:.5f}){label}", expected, k,
            rel(k, expected), steps, sec)  # fmt: skip


def subvoxel_spheres(device, n: int, fractions, tau=None, label=""):
    """Sphere cells with sub-voxel walls (CLI): compared at the exact, nominal c."""
    for c in fractions:
        phi = sphere_level_set(n, c)
        t0 = time.perf_counter()
        r = permeability(phi > 0, axes="x", mode="periodic", device=device, level_set=phi,
                         tau=tau)  # fmt: skip
        k, expected = r.k_lu[0, 0], k_sphere_reference(n, c, c)
        row(f"SC spheres {n}³ c={c}, sub-voxel walls (CLI){label}", expected, k,
            rel(k, expected), r.runs[0].steps, time.perf_counter() - t0)  # fmt: skip


def subvoxel_checks(device):
    """Sub-voxel walls: a channel between voxel centres (exact) and τ-independence."""
    ny, y0, y1 = 14, 1.3, 12.1
    yc = np.arange(ny) + 0.5
    phi = np.broadcast_to(np.minimum(yc - y0, y1 - yc)[None, :, None], (1, ny, 2)).copy()
    exact = (y1 - y0) ** 3 / 12 / ny
    for ls, name in ((phi, "sub-voxel walls (CLI)"), (None, "voxel walls, exact 2D solver")):
        t0 = time.perf_counter()
        r = permeability(phi > 0, axes="x", mode="periodic", device=device, level_set=ls,
                         tol=1e-10, dtype="float64")  # fmt: skip
        row(f"plane channel, walls at y = {y0} and {y1} (h = {y1 - y0:.1f}), {name}", exact,
            r.k_lu[0, 0], rel(r.k_lu[0, 0], exact), r.runs[0].steps,
            time.perf_counter() - t0)  # fmt: skip
    ks = []
    for tau in (0.6, 1.0, 3.0, 6.0):
        t0 = time.perf_counter()
        phi = sphere_level_set(32, 0.2)
        r = permeability(phi > 0, axes="x", mode="periodic", device=device, level_set=phi,
                         tau=tau)  # fmt: skip
        ks.append(r.k_lu[0, 0])
        row(f"TRT τ={tau}: SC spheres 32³ c=0.2, sub-voxel walls", "τ-free", ks[-1], "",
            r.runs[0].steps, time.perf_counter() - t0)  # fmt: skip
    spread = (max(ks) - min(ks)) / np.mean(ks)
    row("CLI spread over τ ∈ [0.6, 6]", "< 0.5 %", f"{100 * spread:.3f} %", "", "", 0.0)


def pressure_driving(device):
    """Zou–He and anti-bounce-back pressure ends against periodic force driving."""
    import dataclasses

    from porestudio.physics.lbm import backend_cpu as lbm_cpu
    from porestudio.physics.lbm.flow import FlowProblem

    rng = np.random.default_rng(5)
    channel = np.zeros((1, 10, 64), bool)
    channel[:, 1:-1] = True
    cases = (("plane channel h=8, L=64", channel, 1.0, "periodic"),
             ("random cells 6³ × 16 along x (L=96), no-slip sides",
              np.tile(rng.random((6, 6, 6)) < 0.75, (1, 1, 16)), 0.8, "noslip"))  # fmt: skip
    for name, pore, tau, side in cases:
        force = FlowProblem(pore, tau=tau, dtype="float64", tol=1e-8, side_bc=side)
        t0 = time.perf_counter()
        k_f = force.viscosity * lbm_cpu.run(force).mean_velocity_xyz[0] / force.force
        for rule in ("zou-he", "anti-bounce-back"):
            p = dataclasses.replace(force, driving="pressure", pressure_bc=rule,
                                    max_steps=200_000)  # fmt: skip
            r = lbm_cpu.run(p)
            k_p = p.viscosity * r.mean_velocity_xyz[0] / p.force
            row(f"pressure-driven {name}: {rule} vs periodic force driving", k_f, k_p,
                rel(k_p, k_f), r.steps, time.perf_counter() - t0)  # fmt: skip


def sphere_diagnostics(device):
    """What the sphere error is not: precision, convergence, the kernel itself."""
    spheres(device, 48, [0.2])
    spheres(device, 48, [0.2], dtype="float64", tol=1e-9, label=", float64, tol 1e-9")
    pore = sphere_cell(24, 0.2)
    t0 = time.perf_counter()
    ref = dense_trt_k(pore, tau=1.5, steps=1200)
    k, steps, sec = k_axis(pore, device, tau=1.5, tol=1e-9, dtype="float64")
    row("SC spheres 24³ c=0.2: sparse numba kernel vs independent dense numpy TRT",
        ref, k, f"{abs(k / ref - 1):.1e}", steps, time.perf_counter() - t0)  # fmt: skip


# --- τ, symmetry, Kuhn off-diagonals, CT ------------------------------------------------


def tau_independence(device):
    pore = sphere_cell(32, 0.2)
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
    row("GRF 32³ turned 90° about z: permuted tensor", "R K Rᵀ", "max dev",
        f"{100 * err:.3f} %", "", time.perf_counter() - t0)  # fmt: skip
    eig = np.linalg.eigvalsh((k + k.T) / 2)
    vec = np.linalg.eigh((k + k.T) / 2)[1][:, -1]
    row("GRF stretched along x: largest eigenvector", "≈ e_x", np.round(vec, 3).tolist(),
        "", "", 0.0)  # fmt: skip
    row("GRF stretched along x: k_xx / max(k_yy, k_zz)", "> 1", k[0, 0] / max(k[1, 1], k[2, 2]),
        f"eig {np.round(eig, 3).tolist()}", "", 0.0)  # fmt: skip
    half = pore[:, :, :16]
    mirror = np.concatenate([half, half[:, :, ::-1]], axis=2)
    for mode in ("periodic", "kuhn"):
        t0 = time.perf_counter()
        km = permeability(mirror, tensor=True, mode=mode, device=device, tol=1e-7).k_lu
        off = max(abs(km[0, 1]), abs(km[0, 2]), abs(km[1, 0]), abs(km[2, 0])) / np.abs(km).max()
        row(f"mirror-symmetric (x) GRF 32³, {mode}: k_xy, k_xz, k_yx, k_zx", "0",
            f"{off:.1e} of max", "", "", time.perf_counter() - t0)  # fmt: skip
    t0 = time.perf_counter()
    kk = permeability(pore, tensor=True, mode="kuhn", device=device, tol=1e-6)
    steps = sum(r.steps for r in kk.runs)
    sym = (kk.k_lu + kk.k_lu.T) / 2
    off = ~np.eye(3, dtype=bool)
    dev = np.abs(sym - k)[off].max() / np.diag(k).max()
    row("GRF 32³ (4 correlation lengths along x): Kuhn tensor (no-slip diagonal, free-slip "
        "off-diagonals) vs periodic tensor", f"periodic {np.round(k, 4).tolist()}",
        np.round(kk.k_lu, 4).tolist(), f"asym {kk.asymmetry:.3f}; off-diag mean "
        f"(k_ij + k_ji)/2 − periodic: max {100 * dev:.1f} % of max k_ii", steps,
        time.perf_counter() - t0)  # fmt: skip


def inclined_plates(n: int, period: int = 8, plane: str = "xy") -> np.ndarray:
    """Perforated solid plates, two voxels thick, inclined at 45° in ``plane``, extruded
    (one voxel) along the third axis; (z, y, x) array."""
    y, x = np.mgrid[0:n, 0:n]
    u, v = x % period, y % period
    pore2 = ~(((u - v) % period <= 1) & (u >= 2))
    if plane == "xy":
        return pore2[None]
    return np.ascontiguousarray(pore2.T[:, :, None])  # plane "yz": rows z, cols y


def kuhn_off_diagonals(device):
    """Kuhn (free-slip) off-diagonals against the periodic tensor of inclined plates."""
    for n, plane in ((48, "xy"), (96, "xy"), (48, "yz")):
        pore = inclined_plates(n, plane=plane)
        i, j = ("xyz".index(plane[0]), "xyz".index(plane[1]))
        t0 = time.perf_counter()
        per = permeability(pore, tensor=True, mode="periodic", device=device, tol=1e-8).k_lu
        ku = permeability(pore, tensor=True, mode="kuhn", device=device, tol=1e-7)
        steps = sum(r.steps for r in ku.runs)
        kij, kji = ku.k_lu[i, j], ku.k_lu[j, i]
        row(f"inclined plates {n}² ({n // 8} periods) in {plane}: Kuhn k_{plane}, k_{plane[::-1]}"
            f" vs periodic", per[i, j], f"{kij:.4f}, {kji:.4f}",
            f"{rel(kij, per[i, j])}, {rel(kji, per[i, j])}; mean {rel((kij + kji) / 2, per[i, j])}",
            steps, time.perf_counter() - t0)  # fmt: skip


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


# --- driver ------------------------------------------------------------------------------


def berea_whole(device):
    """The whole 200³ Berea crop, periodic tensor and Kuhn diagonal, against the DNS of
    the 400³ sample it was cut from."""
    from porestudio.structures.ct import load_structure

    s = load_structure(ROOT / "resources/ct/berea_openpnm/berea_200_pore0_solid255.tif")
    dns_md = (1360.0, 1304.0, 1193.0)
    for mode, tensor in (("periodic", True), ("kuhn", False)):
        t0 = time.perf_counter()
        r = permeability(s, mode=mode, tensor=tensor, device=device)
        md = np.diag(r.k_m2) / 9.869233e-16
        for i, a in enumerate("xyz"):
            row(f"Berea 200³ (whole crop, φ={r.porosity:.3f}), {mode}: k_{a}{a} [mD]", dns_md[i],
                md[i], f"ratio {md[i] / dns_md[i]:.2f}", r.runs[i].steps,
                time.perf_counter() - t0)  # fmt: skip
        if tensor:
            row("Berea 200³ periodic tensor: asymmetry ‖K − Kᵀ‖/‖K‖", "0",
                f"{r.asymmetry:.1e}", "", "", 0.0)  # fmt: skip


def sections(args) -> list:
    """(function, arguments) of every validation section the options ask for."""
    d = args.device
    out: list = []
    if args.only in (None, "spheres"):
        if args.only is None:
            out += [(poiseuille, (d,)), (duct, (d,))]
        out += [
            (spheres, (d, 64, [0.2, *ZICK_HOMSY_SC])),
            (subvoxel_spheres, (d, 64, [0.2, 0.216])),
            (subvoxel_spheres, (d, 128, [0.2])),
        ]
        if args.full:
            out += [(spheres, (d, 128, [0.2, 0.216])), (subvoxel_spheres, (d, 128, [0.216]))]
        for n in (int(s) for s in args.sizes.split(",") if s):
            out.append((spheres, (d, n, [0.2, 0.216], "float32", 1e-6, " (resolution study)")))
    if args.only is None:
        out += [
            (f, (d,))
            for f in (
                sphere_diagnostics,
                subvoxel_checks,
                pressure_driving,
                tau_independence,
                symmetry,
                kuhn_off_diagonals,
                berea,
            )
        ]
    if args.full or args.only == "berea200":
        out.append((berea_whole, (d,)))
    return out  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="add 128³ staircase spheres and Berea 200³"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", choices=["spheres", "berea200"], help="run only these cases")
    parser.add_argument("--sizes", default="", help="resolution study, e.g. 32,48,64,96")
    parser.add_argument("--out", default=str(ROOT / "docs/validation_lbm.md"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    for fn, fargs in sections(args):
        try:
            fn(*fargs)
        except Exception as exc:  # keep going: one broken section must not lose the rest
            traceback.print_exc()
            row(f"{fn.__name__}: FAILED", "", f"{type(exc).__name__}: {exc}", "", "", 0.0)
        write(Path(args.out), args, time.perf_counter() - t0)  # after each: nothing lost
    return 0


def _card(device: str) -> str:
    """`` (NVIDIA H200)``: the GPU's name for a CUDA run, nothing otherwise."""
    if not str(device).startswith("cuda"):
        return ""
    import torch

    return f" ({torch.cuda.get_device_name(0)})"


def write(path: Path, args, total: float) -> None:
    flags = " ".join(sys.argv[1:]).replace(f"--out {args.out}", "").strip()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [
        "# LBM validation",
        "",
        f"Generated by `{('scripts/validate_lbm.py ' + flags).strip()}` on "
        f"{datetime.date.today()} ({platform.machine()}, {os.cpu_count()} cores, "
        f"device {args.device}{_card(args.device)}, load average at the end {load}); "
        f"total {total / 60:.1f} min. "
        "Times are wall-clock.",
        "",
        METHOD_NOTES,
        "## Results",
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
