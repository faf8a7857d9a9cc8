"""The latent-code optimisation of the inverse design (torch; imported only when designing).

Two batched Adam phases over the codes of many targets at once:

1. **screen** — every initial code (the K nearest training samples per target) follows the
   pVAE regressor towards its target for a few steps (cheap: the regressor only);
2. **refine** — the best ``keep`` codes per target are refined against more than one model,
   so that no single network can be fooled: the regressor on the code, the regressor on the
   code re-encoded from its decoded structure (the decode → encode loop of the paper's
   Fig. 4), the porosity of the decoded structure itself (the mean pore probability), and
   the CNN surrogate on the decoded structure when one is given.

Both phases add a support penalty, the squared distance of the code from the data's mean
in units of the data's per-dimension spread, which keeps codes where the decoder has seen
data. Every target keeps the best code seen; the phase stops when every target's loss is
below the tolerance or after ``patience`` steps without improvement.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np


@dataclasses.dataclass(frozen=True)
class Weights:
    """Loss weights of the refine phase (the screen phase uses the regressor only)."""

    regressor: float = 1.0
    cycle: float = 1.0
    porosity: float = 1.0
    cnn: float = 1.0
    prior: float = 1e-3


@dataclasses.dataclass(frozen=True)
class Problem:
    """Torch tensors of one batch of codes.

    ``target`` (n, p) scaled targets, ``mask`` (n, p) 1 where constrained; ``phi`` (n,)
    target porosity [1] (NaN = free); ``mean``/``std`` (d,) the data's latent moments.
    """

    target: Any
    mask: Any
    phi: Any
    mean: Any
    std: Any


def make_problem(model: Any, target_scaled: np.ndarray, phi: np.ndarray, mean, std) -> Problem:
    """Tensors for codes whose scaled targets are ``target_scaled`` (n, p), NaN = free."""
    import torch

    dev = model.device
    mask = np.isfinite(target_scaled)
    t = torch.as_tensor(np.where(mask, target_scaled, 0.0), dtype=torch.float32, device=dev)
    return Problem(
        t, torch.as_tensor(mask, dtype=torch.float32, device=dev),
        torch.as_tensor(phi, dtype=torch.float32, device=dev),
        torch.as_tensor(mean, dtype=torch.float32, device=dev),
        torch.as_tensor(std, dtype=torch.float32, device=dev),
    )  # fmt: skip


def _misfit(pred, prob: Problem):
    return ((pred - prob.target) ** 2 * prob.mask).sum(dim=1) / prob.mask.sum(dim=1).clamp(min=1)


def _prior(z, prob: Problem):
    return (((z - prob.mean) / prob.std) ** 2).mean(dim=1)


def screen_loss(model: Any, prob: Problem, weights: Weights) -> Callable:
    """Per-code loss (n,) of the screen phase: regressor misfit + support penalty."""

    def loss(z):
        return _misfit(model.regress_t(z), prob) + weights.prior * _prior(z, prob)

    return loss


def refine_loss(model: Any, prob: Problem, weights: Weights, surrogate: Any = None) -> Callable:
    """Per-code loss (n,) of the refine phase (module docstring)."""
    import torch

    names = tuple(model.spec.properties)
    j_phi = names.index("porosity") if "porosity" in names else None
    span = (model.scaler.hi[j_phi] - model.scaler.lo[j_phi]) if j_phi is not None else 1.0
    has_phi = torch.isfinite(prob.phi)
    phi_t = torch.nan_to_num(prob.phi)

    def loss(z):
        total = weights.regressor * _misfit(model.regress_t(z), prob)
        total = total + weights.prior * _prior(z, prob)
        x = model.decode_t(z)
        if weights.cycle and not getattr(model, "physics_inputs", False):
            # an encoder with physics inputs needs a solve per structure and step
            mu, _ = model.encode_t(x)
            total = total + weights.cycle * _misfit(model.regress_t(mu), prob)
        if weights.porosity and j_phi is not None:
            phi = x.flatten(1).mean(dim=1)
            total = total + weights.porosity * torch.where(has_phi, (phi - phi_t) / span, 0) ** 2
        if surrogate is not None and weights.cnn and not surrogate.physics_inputs:
            # a CNN with physics inputs needs a solve per structure and step: it scores only
            total = total + weights.cnn * _surrogate_term(model, surrogate, x, prob)
        return total

    return loss


def _surrogate_term(model: Any, surrogate: Any, x, prob: Problem):
    """Misfit of the surrogate's prediction of ``x`` on the properties both models share."""
    import torch

    phys = surrogate.scaler.inverse_t(surrogate.predict_t(x))
    names = tuple(surrogate.spec.properties)
    common = [name in names for name in model.spec.properties]
    cols = [phys[:, names.index(n)] if ok else torch.ones_like(phys[:, 0])
            for n, ok in zip(model.spec.properties, common, strict=True)]  # fmt: skip
    pred = model.scaler.transform_t(torch.stack(cols, dim=1))
    shared = torch.as_tensor(common, dtype=prob.mask.dtype, device=prob.mask.device)
    sub = Problem(prob.target, prob.mask * shared, prob.phi, prob.mean, prob.std)
    return _misfit(pred, sub)


def run_adam(
    z0: np.ndarray,
    loss_fn: Callable,
    groups: np.ndarray,
    *,
    lr: float,
    steps: int,
    patience: int,
    tol: float,
    device: Any,
    tick: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Adam on the codes; returns the best code of each row and its loss.

    Parameters
    ----------
    z0 : ndarray (n, d)
        Initial codes.
    loss_fn : callable
        Tensor (n, d) -> per-code loss (n,).
    groups : ndarray of int (n,)
        Target of each code (stop when every target's best code is below ``tol``).
    lr, steps, patience, tol
        Learning rate, step limit, steps without improvement before stopping, tolerance.
    device : torch.device
    tick : callable, optional
        Called with the step number (progress; may raise Cancelled).
    """
    import torch

    z = torch.tensor(np.asarray(z0, np.float32), device=device, requires_grad=True)
    opt = torch.optim.Adam([z], lr=lr)
    best_z = z.detach().clone()
    best = torch.full((len(z0),), float("inf"), device=device)
    g = torch.as_tensor(groups, device=device, dtype=torch.long)
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    since, best_total = 0, float("inf")
    for step in range(max(int(steps), 0) + 1):
        opt.zero_grad(set_to_none=True)
        per = loss_fn(z)
        with torch.no_grad():
            better = per < best
            best = torch.where(better, per.detach(), best)
            best_z[better] = z.detach()[better]
            group_best = torch.full((n_groups,), float("inf"), device=device)
            group_best = group_best.scatter_reduce(0, g, best, reduce="amin")
            total = float(group_best.sum())
        if total < best_total * (1 - 1e-4):
            best_total, since = total, 0
        else:
            since += 1
        if tick is not None:
            tick(step)
        if step == steps or bool((group_best < tol).all()) or since >= patience:
            break
        per.sum().backward()
        opt.step()
    return best_z.cpu().numpy(), best.cpu().numpy()


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run with ``n`` torch intra-op threads (None: leave torch's setting), then restore."""
    import torch

    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def start_first(order: np.ndarray, n_start: int) -> np.ndarray:
    """Each row of ``order`` (m, k) with the start codes (columns < n_start) moved first,
    keeping the relative order of both parts: start codes are always refined."""
    if n_start == 0:
        return order
    is_start = order < n_start
    return np.take_along_axis(order, np.argsort(~is_start, axis=1, kind="stable"), axis=1)
