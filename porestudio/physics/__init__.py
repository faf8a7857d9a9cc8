"""Physics: what a structure does to a flow.

* :mod:`.flow` — the solver contract (FlowProblem → FlowResult), shared by all backends;
* LBM backends (CPU numba, GPU Triton), the exact extruded 2D Stokes path, the
  permeability tensor driver and labelling campaigns.

May import :mod:`porestudio.structures`; never Qt. Heavy imports (numba, torch, triton)
happen inside the functions that need them.
"""
