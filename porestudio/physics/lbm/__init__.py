"""The lattice-Boltzmann solver (TRT/BGK D3Q19 on the fluid cells only).

* :mod:`.flow` — the contract: ``run(FlowProblem, progress) -> FlowResult``;
* :mod:`.lattice` — the sparse D3Q19 lattice and its pull table (boundaries baked in);
* boundary rules: :mod:`.pressure_ends` (Zou–He / anti-bounce-back ends),
  :mod:`.subvoxel` (interpolated walls);
* :mod:`.loop` — what every backend shares: problem validation, relaxation rates, the
  stopping loop with its stability check and progress; :mod:`.convergence` (stopping
  rule), :mod:`.tau` (automatic relaxation time);
* backends: :mod:`.backend_cpu` (numba kernels in :mod:`.kernels_numba`),
  :mod:`.backend_torch` (eager torch, CPU or CUDA), :mod:`.backend_triton` (fused CUDA
  kernel in :mod:`.kernels_triton`).

Heavy imports (numba, torch, triton) happen inside the functions that need them.
"""
