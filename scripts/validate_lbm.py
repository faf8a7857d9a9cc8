"""Validate the LBM and the permeability driver against known answers.

Writes a markdown report (method notes + a table: case, expected, got, error, steps, time)
to docs/validation_lbm.md.

    .venv/bin/python scripts/validate_lbm.py              # standard set (~15 min on 2 cores)
    .venv/bin/python scripts/validate_lbm.py --full       # adds the 128³ sphere cells
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
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from porestudio.physics.permeability import permeability  # noqa: E402

ZICK_HOMSY_SC = {0.027: 2.008, 0.064: 2.810, 0.125: 4.292, 0.216: 7.442, 0.343: 15.4, 0.45: 28.1}
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
    k, steps, sec = k_axis(pore, device, tol=1e-9)
    exact = (h**3 / 12 + h / 24) / (h + 2)
    row(f"plane Poiseuille h={h} (discrete exact)", exact, k, rel(k, exact), steps, sec)
    cont = h**3 / 12 / (h + 2)
    row(f"plane Poiseuille h={h} (continuum h²/12)", cont, k, rel(k, cont), steps, sec)


def duct(device):
    a = 10
    pore = np.zeros((1, a + 2, a + 2), bool)
    pore[:, 1:-1, 1:-1] = True
    k, steps, sec = k_axis(pore, device, axis="z", tol=1e-9)
    exact = SQUARE_DUCT * a**4 / (a + 2) ** 2
    row("square duct a=10 in a solid frame", exact, k, rel(k, exact), steps, sec)


# --- simple-cubic sphere arrays ----------------------------------------------------------


def sphere_cell(n: int, c: float) -> np.ndarray:
    """Sphere of solid fraction ``c`` centred on the cell centre (a voxel corner for even
    ``n``); a voxel is solid when its centre lies inside the sphere (distance ≤ radius)."""
    a = n * (3 * c / (4 * np.pi)) ** (1 / 3)
    x = np.arange(n) + 0.5 - n / 2
    z, y, xx = np.meshgrid(x, x, x, indexing="ij")
    return (xx * xx + y * y + z * z) > a * a


def sangani_acrivos(c: float) -> float:
    """Dilute series of the SC drag, K = 1 / (1 − 1.7601 c^⅓ + c − 1.5593 c² + ...)."""
    s = c ** (1 / 3)
    return 1 / (1 - 1.7601 * s + c - 1.5593 * c**2 + 3.9799 * c ** (8 / 3) - 3.0734 * c ** (10 / 3))


def sc_drag(c_nominal: float, c_voxel: float) -> float:
    """Reference drag K at the voxel solid fraction.

    ``K_series(c_voxel) · r(c_nominal)`` with ``r`` = Zick–Homsy / series: the table ratio
    at table points; between 0.125 and 0.343 ``ln r = ln r(0.216) (c / 0.216)^β`` through
    the 0.216 and 0.343 entries (it reproduces the 0.125 entry to 0.01 %). The series
    carries the small step from the nominal to the voxel fraction.
    """
    if c_nominal in ZICK_HOMSY_SC:
        ratio = ZICK_HOMSY_SC[c_nominal] / sangani_acrivos(c_nominal)
    else:
        r1 = np.log(ZICK_HOMSY_SC[0.216] / sangani_acrivos(0.216))
        r2 = np.log(ZICK_HOMSY_SC[0.343] / sangani_acrivos(0.343))
        beta = np.log(r2 / r1) / np.log(0.343 / 0.216)
        ratio = float(np.exp(r1 * (c_nominal / 0.216) ** beta))
    return sangani_acrivos(c_voxel) * ratio


def k_sphere_reference(n: int, c_nominal: float, c_voxel: float) -> float:
    """k = L³ / (6π a K) with the radius of the sphere of the voxel volume."""
    a = n * (3 * c_voxel / (4 * np.pi)) ** (1 / 3)
    return n**3 / (6 * np.pi * a * sc_drag(c_nominal, c_voxel))


def spheres(device, n: int, fractions, dtype="float32", tol=1e-6, label=""):
    for c in fractions:
        pore = sphere_cell(n, c)
        c_vox = 1.0 - float(pore.mean())
        k, steps, sec = k_axis(pore, device, tol=tol, dtype=dtype)
        expected = k_sphere_reference(n, c, c_vox)
        row(f"SC spheres {n}³ c={c} (c_voxel {c_vox:.5f}){label}", expected, k,
            rel(k, expected), steps, sec)  # fmt: skip


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


def dense_trt_k(pore: np.ndarray, tau: float, steps: int) -> float:
    """k_xx of a textbook dense D3Q19 TRT (Λ = 3/16, Guo force, halfway bounce-back by
    ``np.roll``), written independently of porestudio's lattice tables; float64."""
    import itertools

    vel = [(0, 0, 0)] + [
        v for v in itertools.product((-1, 0, 1), repeat=3) if 0 < np.abs(v).sum() < 3
    ]
    c = np.array(vel, dtype=float)
    w = np.array([1 / 3] + [1 / 18 if np.abs(v).sum() == 1 else 1 / 36 for v in vel[1:]])
    opp = np.array([vel.index(tuple(-np.array(v))) for v in vel])
    om_p = 1 / tau
    om_m = 1 / (0.5 + (3 / 16) / (tau - 0.5))
    force = 2e-5 * (tau - 0.5) / 3
    solid = ~pore
    wq = w[:, None, None, None]
    f = np.tile(wq, (1, *pore.shape))
    shifted = [np.roll(solid, (int(v[2]), int(v[1]), int(v[0])), axis=(0, 1, 2)) for v in c]
    for _ in range(steps):
        rho = f.sum(0)
        ux = ((f * c[:, 0, None, None, None]).sum(0) + 0.5 * force) / rho
        uy = (f * c[:, 1, None, None, None]).sum(0) / rho
        uz = (f * c[:, 2, None, None, None]).sum(0) / rho
        cu = c[:, 0, None, None, None] * ux + c[:, 1, None, None, None] * uy
        cu = cu + c[:, 2, None, None, None] * uz
        feq = wq * rho * (1 + 3 * cu + 4.5 * cu**2 - 1.5 * (ux**2 + uy**2 + uz**2))
        cf = c[:, 0, None, None, None] * force
        src = wq * (3 * (cf - ux * force) + 9 * cu * cf)
        sym = lambda a: 0.5 * (a + a[opp])  # noqa: E731
        post = f - om_p * (sym(f) - sym(feq)) - om_m * (f - sym(f) - feq + sym(feq))
        post += (1 - om_p / 2) * sym(src) + (1 - om_m / 2) * (src - sym(src))
        for q, v in enumerate(c):
            f[q] = np.roll(post[q], (int(v[2]), int(v[1]), int(v[0])), axis=(0, 1, 2))
            f[q][shifted[q]] = post[opp[q]][shifted[q]]
        f[:, solid] = w[:, None]
    ux = ((f * c[:, 0, None, None, None]).sum(0) + 0.5 * force) / f.sum(0)
    return (tau - 0.5) / 3 * ux[pore].sum() / pore.size / force


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

METHOD_NOTES = """\
## How the sphere cases are set up and compared

* **Voxelisation**: one sphere per periodic cell of n³ voxels, centred on the cell centre
  (a voxel corner for even n); a voxel is solid when its centre lies inside the sphere of
  the nominal solid fraction c. The voxel solid fraction `c_voxel` differs slightly from c
  (0.20053 at 64³, 0.20124 at 48³) and is stated in each row.
* **Reference**: k = L³ / (6π a K) with the radius a of the sphere of the voxel volume
  (`c_voxel`) and the drag K of Zick & Homsy (1982, table 2: c = 0.027 / 0.064 / 0.125 /
  0.216 / 0.343 / 0.45 → K = 2.008 / 2.810 / 4.292 / 7.442 / 15.4 / 28.1). The small step
  from c to `c_voxel` uses the local slope of the Sangani & Acrivos (1982) series
  K = 1 / (1 − 1.7601 c^⅓ + c − 1.5593 c² + 3.9799 c^{8/3} − 3.0734 c^{10/3}). c = 0.2 is no
  table point: the series is multiplied by the Zick–Homsy / series ratio interpolated as
  ln r ∝ c^β through the 0.216 (r = 1.0080) and 0.343 (r = 1.0795) entries (β = 4.9; it
  reproduces the 0.125 entry, r = 1.0006, to 0.01 %), r(0.2) = 1.0055: at 64³ the
  nominal-c reference is 88.39 voxel², not the bare series' 88.88 (the series alone is
  0.8 % low in K at c = 0.216).
* **Solver**: `permeability(..., mode="periodic", method="lbm")`: TRT Λ = 3/16, automatic τ,
  Guo body force, superficial velocity with the F/2 shift averaged over all voxels,
  k = ν⟨u⟩/F with ν of the symmetric rate; float32 and tol 1e-6 unless stated.

## Where the sphere error comes from (64³, c = 0.2)

The earlier table compared k = 86.744 with the bare series at the nominal c (88.877):
−2.40 % (−2.29 % against 88.78). Of that, +0.55 % is the series' truncation (reference
88.39 with the Zick–Homsy correction) and +0.37 % the voxel solid fraction 0.20053
instead of 0.2 (d ln k / dc ≈ −7.4 here: k is very sensitive to the radius, a 0.1-voxel
larger effective radius costs 1.9 %). The remaining −1.47 % is the staircase (voxelised
sphere) discretisation error of halfway bounce-back. It is not precision (float32 =
float64 to 1e-6), not convergence (tol 1e-9 changes k by < 1e-5), not τ (TRT spread
< 1e-4) and not the kernel: an independent dense numpy TRT gives the same k to 3e-9
(row "sparse numba kernel vs independent dense numpy TRT"). The voxelisation rule itself
moves the result by a few tenths of a per cent at a fixed size: at 48³ the corner-centred
sphere (c_voxel 0.20124) gives −1.64 %, a voxel-centred one (c_voxel 0.20001) −1.84 %.
A code quoting a smaller error at 64³ very likely has a smaller voxel solid fraction
(each −0.001 in c_voxel is +0.74 % in k) or a different reference.

**Resolution study** (CUDA backend on an H200 — the same lattice tables and collision,
it reproduces the CPU k = 86.745 at 64³ — `docs/validation_lbm_cuda_spheres.md`), error
against the reference at c_voxel, c = 0.2 / 0.216:

| n³ | 32 | 48 | 64 | 96 | 128 | 160 |
|---|---|---|---|---|---|---|
| c = 0.2 | −2.43 % | −1.64 % | −1.47 % | −1.16 % | −0.83 % | −0.75 % |
| c = 0.216 | −2.56 % | −2.09 % | −1.60 % | −1.15 % | −0.90 % | −0.76 % |

So the issue's targets are met at 64³ (−1.47 % within 1.5 %) and missed narrowly at 128³
(−0.83 % against 0.75 %; 160³ reaches −0.75 %). The error decays roughly like n^-0.8,
as expected for the first-order geometric error of a staircase surface; it could only
be reduced with sub-voxel wall positions (interpolated bounce-back), which a binary voxel
image does not provide.

## Kuhn off-diagonals

Free-slip (specular) side walls make the transverse flux of every run zero; the walls
hold a transverse mean pressure gradient instead. It is measured from the side-wall
momentum exchange, minus its rest-state part (1/3 times the pressure-weighted fluid wall
area), divided by the wall area times the lever to the fluid centroid
(`porestudio.physics._kuhn`); Darcy's law for the three runs gives K_slip = ν U G⁻¹. The
inclined-plate rows compare it with the periodic tensor: the error is a wall-layer effect
of order (period / width), halving from 48 to 96 voxels of width; the mean of k_ij and
k_ji is the better estimate. (Dividing the raw wall force by the fluid cell count, as an
earlier version did, gave k_xy ≈ 0.001 instead of 0.5 for the 48² plates.)

For a random structure the wall layers are about one correlation length thick: in the
32³ GRF row (correlation length 8 along x, 4 lengths per side) the mean off-diagonals
k_xy and k_yz match the periodic ones to 3e-3 while k_xz is off by 0.03 (7 % of the
largest k_ii). Kuhn off-diagonals need samples many correlation lengths wide; the
Kuhn tensor's asymmetry ‖K − Kᵀ‖/‖K‖ is a direct indicator of this wall error.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add the 128³ sphere cells")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", choices=["spheres"], help="run only the sphere cases")
    parser.add_argument("--sizes", default="", help="resolution study, e.g. 32,48,64,96")
    parser.add_argument("--out", default=str(ROOT / "docs/validation_lbm.md"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    if args.only is None:
        poiseuille(args.device)
        duct(args.device)
    spheres(args.device, 64, [0.2, *ZICK_HOMSY_SC])
    if args.full:
        spheres(args.device, 128, [0.2, 0.216])
    for n in (int(s) for s in args.sizes.split(",") if s):
        spheres(args.device, n, [0.2, 0.216], label=" (resolution study)")
    if args.only is None:
        sphere_diagnostics(args.device)
        tau_independence(args.device)
        symmetry(args.device)
        kuhn_off_diagonals(args.device)
        berea(args.device)
    write(Path(args.out), args, time.perf_counter() - t0)
    return 0


def write(path: Path, args, total: float) -> None:
    flags = " ".join(sys.argv[1:]).replace(f"--out {args.out}", "").strip()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [
        "# LBM validation",
        "",
        f"Generated by `{('scripts/validate_lbm.py ' + flags).strip()}` on "
        f"{datetime.date.today()} ({platform.machine()}, {os.cpu_count()} cores, "
        f"device {args.device}, load average at the end {load}); total {total / 60:.1f} min. "
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
