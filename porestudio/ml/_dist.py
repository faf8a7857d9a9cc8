"""torchrun / DistributedDataParallel support: detected from the environment.

Under ``torchrun --nproc-per-node N`` (``WORLD_SIZE`` > 1) the process group is started
(gloo on the CPU, nccl on CUDA), each rank trains on its share of every epoch
(:class:`torch.utils.data.DistributedSampler` order) and only rank 0 writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Dist:
    """Where this process stands: ``rank`` of ``world`` (1 = not distributed)."""

    rank: int = 0
    world: int = 1

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup(device: str) -> Dist:
    """Join the process group when launched by torchrun; a no-op otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return Dist()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
    return Dist(rank=dist.get_rank(), world=dist.get_world_size())


def local_cuda_index() -> int:
    """``LOCAL_RANK`` (the GPU of this process under torchrun)."""
    return int(os.environ.get("LOCAL_RANK", "0") or 0)


def wrap(module, d: Dist, device: str):
    """``module`` wrapped in DistributedDataParallel when distributed (trainable params only)."""
    if not d.active:
        return module
    from torch.nn.parallel import DistributedDataParallel as DDP

    ids = [local_cuda_index()] if device == "cuda" else None
    return DDP(module, device_ids=ids)


def shard(n: int, d: Dist, seed: int, epoch: int):
    """This rank's sample order for one epoch (all ranks equally long)."""
    import torch
    from torch.utils.data import DistributedSampler

    if not d.active:
        g = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch))
        return torch.randperm(n, generator=g)
    sampler = DistributedSampler(
        range(n), num_replicas=d.world, rank=d.rank, shuffle=True, seed=seed
    )
    sampler.set_epoch(epoch)
    return torch.tensor(list(sampler), dtype=torch.long)


def mean(values: list[float], d: Dist) -> list[float]:
    """Average of ``values`` over ranks (identity when not distributed)."""
    if not d.active:
        return values
    import torch
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return (t / d.world).tolist()


def barrier(d: Dist) -> None:
    """Wait for all ranks."""
    if d.active:
        import torch.distributed as dist

        dist.barrier()
