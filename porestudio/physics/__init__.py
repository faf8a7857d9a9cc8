"""Physics: what a structure does to a flow — solvers and campaigns.

* solvers: :mod:`.lbm` (the lattice-Boltzmann subpackage: lattice, kernels, backends,
  boundary rules, convergence, τ), :mod:`.stokes2d` (exact extruded 2D Stokes);
* :mod:`.options` — the one set of solver rules (:class:`~.options.SolverOptions`);
* :mod:`.permeability` — the permeability tensor driver; :mod:`.device` — CPU or CUDA;
* :mod:`.campaign` — labelling campaigns (process pool, Dask).

May import :mod:`porestudio.structures`; never Qt. Heavy imports (numba, torch, triton)
happen inside the functions that need them.
"""
