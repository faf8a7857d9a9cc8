"""Method notes of docs/validation_lbm.md (text only; used by scripts/validate_lbm.py)."""

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

With halfway bounce-back on the voxel image the error decays roughly like n^-0.8, the
first-order geometric error of a staircase surface: −1.47 % at 64³ (within the 1.5 %
target) but −0.83 % at 128³ (0.75 % target; 160³ reaches −0.75 %).

## Sub-voxel walls

Where the true surface is known — an analytic shape, or a grey-scale CT whose partial
volume places the surface between voxel centres — `permeability(..., level_set=phi)`
(and `FlowProblem.level_set`) uses it: ``phi`` > 0 exactly on the pore voxels, sampled at
voxel centres (a signed distance, or grey value minus threshold); the wall on a
fluid–solid link sits at ``t = phi(x) / (phi(x) − phi(x + c))`` of the link and the
reflected population follows the central linear interpolation (CLI) of Ginzburg,
Verhaeghe & d'Humières (2008), ``f_q(x) = f*_p(x) + κ (f*_p(x − c) − f*_q(x))``,
``κ = (1 − 2t)/(1 + 2t)`` (`porestudio/physics/lbm/subvoxel.py`). It is linear in the
previous populations, so it runs as ghost-slot stencils on every backend (numba, torch,
Triton table mode). With TRT its steady state is τ-independent like halfway
bounce-back (rows "sub-voxel walls, τ = …"; the Bouzidi–Firdaouss–Lallemand rule drifted
by 1.9 % over τ 0.6–1.5 in a trial and was not kept). The sphere rows with sub-voxel
walls compare with the reference at the exact, nominal c. On the CUDA backend
(`docs/gpu.md`, H200) the same study gives −0.255 / +0.006 / −0.006 / +0.002 / −0.036 %
at 32³ / 64³ / 96³ / 128³ / 160³ (c = 0.2) and −0.024 / −0.012 % at 64³ / 128³
(c = 0.216), against −2.43 … −0.75 % for the staircase: the 128³ target (0.75 %) is met
with a 300-fold margin.

## Pressure ends

`driving="pressure"` prescribes the density of the end layers with the Zou–He rule
(default; Hecht & Harting's D3Q19 form with the transverse momentum correction), written
as a linear stencil of the previous populations in ghost slots
(`porestudio/physics/lbm/pressure_ends.py`); the pressure sits on the end-cell centres, so
the drop acts over L − 1 voxels. Anti-bounce-back ends (pressure on the end faces) stay
as `pressure_bc="anti-bounce-back"`. The pressure rows compare both with periodic force
driving: Zou–He leaves an end error of ~0.007 voxel in a straight channel (+0.011 % at
L = 64) against ~1.5 voxels for anti-bounce-back (+2.3 %).

## Convergence and the automatic τ

A run stops when the relative change of the superficial velocity — every component,
relative to the driving one — stays below `tol` for three checks in a row
(`porestudio/physics/lbm/convergence.py`): a single small difference at the turning point of
a pressure oscillation no longer stops a run early (it did at τ = 0.6 on the Berea crop,
k off by 4e-4), and the off-diagonals of periodic runs converge with the diagonal. The
automatic τ balances viscous relaxation in the pores (time ≈ k/(φν)) against pressure
diffusion across the sample (≈ L²ν/(c_s² k)) with a Kozeny–Carman k
(`porestudio/physics/lbm/tau.py`): ν = 5 k_KC/(L √φ). On the 100³ Berea crop k_xx needs
6,100 steps at the new τ = 0.54 against 21,000 at the earlier rule's 0.77 (same k to
2e-5); sphere cells keep τ = 6.

## Other runs of this table

`scripts/validate_lbm.py --device cuda --full` on an NVIDIA H200 runs every row on the
Triton backend (sub-voxel walls through its table mode) in 3 minutes:
`docs/validation_lbm_cuda.md` — the same k as the CPU rows to about 1e-5. `--full` adds
the 128³ staircase spheres (−0.83 % / −0.90 %) and the whole 200³ Berea crop against the
DNS of the 400³ sample: periodic 1474 / 1477 / 1132 mD (ratio 1.08 / 1.13 / 0.95,
asymmetry 9e-6), Kuhn 1152 / 1209 / 974 mD (0.85 / 0.93 / 0.82) against 1360 / 1304 /
1193 mD. The 100³ cubes (rows below) scatter from 0.23 to 0.88 of the whole-sample
values: they are below a representative volume.

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
