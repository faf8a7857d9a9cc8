"""Triton kernels of the CUDA LBM backend (imported lazily by :mod:`.lbm_triton`).

One fused kernel does a whole time step for a block of fluid cells: pull the 19
populations, compute the moments, TRT collision with the Guo force, store the 19
post-collision populations (structure of arrays ``q * n + i``, deviations ``f - W``,
the layout of :mod:`porestudio.physics.lbm.lattice`). Two ways to find the pull sources:

* ``MODE = 0`` (*map*): each cell carries its packed coordinate
  ``z << 20 | y << 10 | x``; the source voxel is computed in the kernel (periodic wrap,
  no-slip or free-slip side walls exactly as ``lattice._sources_for`` does for force
  driving) and looked up in the dense int32 fluid-index map, which stays in L2 (the
  neighbours of a block of cells touch three planes of it). DRAM traffic per cell and
  step: 4 (coordinate) + 76 (read) + 76 (write) bytes.
* ``MODE = 1`` (*table*): the int32 pull table ``src`` (19, n) of the lattice, 72 more
  bytes per cell and step; handles every boundary including pressure ghost slots.

With ``REDUCE`` the kernel also writes, per program, the float64 sums of the cell
velocities and the largest ``|ux|+|uy|+|uz|`` (the convergence and stability checks).
Runtime parameters come from the ``prm`` buffer (storage dtype): ω⁺, ω⁻, Fx, Fy, Fz.
"""

from __future__ import annotations

import triton
import triton.language as tl

# D3Q19, as porestudio.physics.lbm.lattice.C: 0 rest; (1,2) ±x; (3,4) ±y; (5,6) ±z;
# (7,8) ±(1,1,0); (9,10) ±(1,-1,0); (11,12) ±(1,0,1); (13,14) ±(1,0,-1);
# (15,16) ±(0,1,1); (17,18) ±(0,1,-1).


@triton.jit
def _shift(own, size, C: tl.constexpr, WRAP: tl.constexpr):
    """Source coordinate ``own - C`` along one axis and whether it left the domain."""
    s = own - C
    if C > 0:
        out = s < 0
    elif C < 0:
        out = s >= size
    else:
        out = s < -1  # never true: no move along this axis
    if WRAP:
        if C > 0:
            s = tl.where(out, s + size, s)
        elif C < 0:
            s = tl.where(out, s - size, s)
        out = s < -1
    else:
        s = tl.where(out, own, s)
    return s, out


@triton.jit
def _pull(
    f_ptr, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
    Q: tl.constexpr, OPP: tl.constexpr, CX: tl.constexpr, CY: tl.constexpr,
    CZ: tl.constexpr, MODE: tl.constexpr, WX: tl.constexpr, WY: tl.constexpr,
    WZ: tl.constexpr, SIDE: tl.constexpr, EV_F: tl.constexpr, EV_MAP: tl.constexpr,
):  # fmt: skip
    """Pre-collision population ``Q`` of cells ``i`` (pull streaming).

    ``EV_F`` / ``EV_MAP``: cache eviction hints of the population and map loads
    ("" = default; e.g. "evict_first" for streamed populations, "evict_last" to keep
    the index map in L2)."""
    if MODE == 1:
        s = tl.load(src_ptr + Q * n + i, mask=m, other=0, eviction_policy=EV_F)
        return tl.load(f_ptr + s, mask=m, other=0.0, eviction_policy=EV_F)
    sx, ox = _shift(x, nx, CX, WX)
    sy, oy = _shift(y, ny, CY, WY)
    sz, oz = _shift(z, nz, CZ, WZ)
    voxel = (sz * ny + sy) * nx + sx
    if SIDE == 1:  # no-slip side walls: a link leaving the domain bounces back
        t = tl.load(map_ptr + voxel, mask=m & ~(ox | oy | oz), other=-1, eviction_policy=EV_MAP)
        qs = Q
    elif SIDE == 2:  # free-slip: mirror the normal component(s) of the source velocity
        t = tl.load(map_ptr + voxel, mask=m, other=-1, eviction_policy=EV_MAP)
        ex = tl.where(ox, -CX, CX)
        ey = tl.where(oy, -CY, CY)
        ez = tl.where(oz, -CZ, CZ)
        qs = tl.load(lut_ptr + (ez + 1) * 9 + (ey + 1) * 3 + (ex + 1), mask=m, other=Q)
    else:
        t = tl.load(map_ptr + voxel, mask=m, other=-1, eviction_policy=EV_MAP)
        qs = Q
    addr = tl.where(t < 0, OPP * n + i, qs * n + t)
    return tl.load(f_ptr + addr, mask=m, other=0.0, eviction_policy=EV_F)


# fmt: off
@triton.jit
def _pair(f_out, i, m, n, a, b, QA: tl.constexpr, CX: tl.constexpr, CY: tl.constexpr,
          CZ: tl.constexpr, WQ: tl.constexpr, drho, rho, ux, uy, uz, usq, uf, fx, fy, fz,
          omp, omm, gp, gm):
    """TRT + Guo for the opposite pair (QA, QA + 1), c_QA = (CX, CY, CZ); stores both."""
    cu = CX * ux + CY * uy + CZ * uz
    cf = CX * fx + CY * fy + CZ * fz
    eqp = WQ * (drho + rho * (4.5 * cu * cu - 1.5 * usq))
    eqm = WQ * 3.0 * rho * cu
    dp = -omp * (0.5 * (a + b) - eqp) + gp * WQ * (9.0 * cu * cf - 3.0 * uf)
    dm = -omm * (0.5 * (a - b) - eqm) + gm * WQ * 3.0 * cf
    tl.store(f_out + QA * n + i, a + dp + dm, mask=m)
    tl.store(f_out + (QA + 1) * n + i, b + dp - dm, mask=m)


@triton.jit
def lbm_step(
    f_in, f_out, src_ptr, cell_ptr, map_ptr, lut_ptr, prm_ptr, part_ptr, n, nx, ny, nz,
    MODE: tl.constexpr, WX: tl.constexpr, WY: tl.constexpr, WZ: tl.constexpr,
    SIDE: tl.constexpr, REDUCE: tl.constexpr, BLOCK: tl.constexpr,
    EV_F: tl.constexpr = "", EV_MAP: tl.constexpr = "",
):
    """One fused pull-stream + TRT/BGK + Guo step for ``BLOCK`` fluid cells."""
    pid = tl.program_id(0)
    i = pid * BLOCK + tl.arange(0, BLOCK)
    m = i < n
    x = i
    y = i
    z = i
    if MODE == 0:
        code = tl.load(cell_ptr + i, mask=m, other=0, eviction_policy=EV_F)
        x = code & 1023
        y = (code >> 10) & 1023
        z = code >> 20
    # pull: _pull(..., Q, OPP[Q], C[Q] (x, y, z), MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f0 = tl.load(f_in + i, mask=m, other=0.0, eviction_policy=EV_F)
    f1 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
               1, 2, 1, 0, 0, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f2 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
               2, 1, -1, 0, 0, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f3 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
               3, 4, 0, 1, 0, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f4 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
               4, 3, 0, -1, 0, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f5 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
               5, 6, 0, 0, 1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f6 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
               6, 5, 0, 0, -1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f7 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
               7, 8, 1, 1, 0, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f8 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
               8, 7, -1, -1, 0, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f9 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
               9, 10, 1, -1, 0, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f10 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
                10, 9, -1, 1, 0, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f11 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
                11, 12, 1, 0, 1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f12 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
                12, 11, -1, 0, -1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f13 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
                13, 14, 1, 0, -1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f14 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
                14, 13, -1, 0, 1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f15 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
                15, 16, 0, 1, 1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f16 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
                16, 15, 0, -1, -1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f17 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
                17, 18, 0, 1, -1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)
    f18 = _pull(f_in, src_ptr, map_ptr, lut_ptr, i, x, y, z, m, n, nx, ny, nz,
                18, 17, 0, -1, 1, MODE, WX, WY, WZ, SIDE, EV_F, EV_MAP)

    omp = tl.load(prm_ptr + 0)
    omm = tl.load(prm_ptr + 1)
    fx = tl.load(prm_ptr + 2)
    fy = tl.load(prm_ptr + 3)
    fz = tl.load(prm_ptr + 4)
    gp = 1.0 - 0.5 * omp
    gm = 1.0 - 0.5 * omm

    # density deviation kept apart from the 1 (float32: (1 + x) - 1 loses x's digits)
    drho = (f0 + f1 + f2 + f3 + f4 + f5 + f6 + f7 + f8 + f9) + (f10 + f11 + f12 + f13 + f14)
    drho += f15 + f16 + f17 + f18
    rho = 1.0 + drho
    d7 = f7 - f8
    d9 = f9 - f10
    d11 = f11 - f12
    d13 = f13 - f14
    d15 = f15 - f16
    d17 = f17 - f18
    inv = 1.0 / rho
    ux = ((f1 - f2) + d7 + d9 + d11 + d13 + 0.5 * fx) * inv
    uy = ((f3 - f4) + d7 - d9 + d15 + d17 + 0.5 * fy) * inv
    uz = ((f5 - f6) + d11 - d13 + d15 - d17 + 0.5 * fz) * inv
    usq = ux * ux + uy * uy + uz * uz
    uf = ux * fx + uy * fy + uz * fz

    eq0 = 0.3333333333333333 * (drho - 1.5 * rho * usq)  # w0 = 1/3; Guo: -3 w0 u.F
    tl.store(f_out + i, f0 - omp * (f0 - eq0) - gp * uf, mask=m)
    # weights as literals (1/18, 1/36) so that they stay exact constants in float64 builds
    _pair(f_out, i, m, n, f1, f2, 1, 1, 0, 0, 0.05555555555555555,
          drho, rho, ux, uy, uz, usq, uf, fx, fy, fz, omp, omm, gp, gm)
    _pair(f_out, i, m, n, f3, f4, 3, 0, 1, 0, 0.05555555555555555,
          drho, rho, ux, uy, uz, usq, uf, fx, fy, fz, omp, omm, gp, gm)
    _pair(f_out, i, m, n, f5, f6, 5, 0, 0, 1, 0.05555555555555555,
          drho, rho, ux, uy, uz, usq, uf, fx, fy, fz, omp, omm, gp, gm)
    _pair(f_out, i, m, n, f7, f8, 7, 1, 1, 0, 0.027777777777777776,
          drho, rho, ux, uy, uz, usq, uf, fx, fy, fz, omp, omm, gp, gm)
    _pair(f_out, i, m, n, f9, f10, 9, 1, -1, 0, 0.027777777777777776,
          drho, rho, ux, uy, uz, usq, uf, fx, fy, fz, omp, omm, gp, gm)
    _pair(f_out, i, m, n, f11, f12, 11, 1, 0, 1, 0.027777777777777776,
          drho, rho, ux, uy, uz, usq, uf, fx, fy, fz, omp, omm, gp, gm)
    _pair(f_out, i, m, n, f13, f14, 13, 1, 0, -1, 0.027777777777777776,
          drho, rho, ux, uy, uz, usq, uf, fx, fy, fz, omp, omm, gp, gm)
    _pair(f_out, i, m, n, f15, f16, 15, 0, 1, 1, 0.027777777777777776,
          drho, rho, ux, uy, uz, usq, uf, fx, fy, fz, omp, omm, gp, gm)
    _pair(f_out, i, m, n, f17, f18, 17, 0, 1, -1, 0.027777777777777776,
          drho, rho, ux, uy, uz, usq, uf, fx, fy, fz, omp, omm, gp, gm)

    if REDUCE:
        zero = tl.zeros_like(ux)
        vx = tl.where(m, ux, zero).to(tl.float64)
        vy = tl.where(m, uy, zero).to(tl.float64)
        vz = tl.where(m, uz, zero).to(tl.float64)
        mag = tl.where(m, tl.abs(ux) + tl.abs(uy) + tl.abs(uz), zero).to(tl.float64)
        tl.store(part_ptr + pid * 4 + 0, tl.sum(vx, axis=0))
        tl.store(part_ptr + pid * 4 + 1, tl.sum(vy, axis=0))
        tl.store(part_ptr + pid * 4 + 2, tl.sum(vz, axis=0))
        tl.store(part_ptr + pid * 4 + 3, tl.max(mag, axis=0))  # a NaN shows in the sums
# fmt: on
