"""Physics re-ranking of a design run's candidates (step 3 of :mod:`.inverse`): the best
candidates by the scorer are verified by the physics solver in rounds, and each target's
final order is by physics error, flowing structures first."""

from __future__ import annotations

from typing import Any

import numpy as np

from porestudio.design import _candidates as C

__all__ = ["best_physics", "score_physics", "verify_pools"]


def verify_pools(run: Any, pools: list[dict[str, Any]], full: np.ndarray) -> None:
    """Physics of the selected candidates, in rounds of ``verify_batch`` per target (best
    by the surrogate first); a target stops once its best flowing candidate is within
    ``verify_tol`` by physics (and ``candidates`` are verified), else at ``n_verify``."""
    o = run.opts
    batch = max(int(o.verify_batch or 0), run.n_cand) if o.verify_batch else None
    for p in pools:
        p["n_done"], p["phys"] = 0, {}
    todo = list(range(len(pools)))
    while todo:
        take = {i: _next_slice(pools[i], batch) for i in todo}
        sel = np.concatenate([pools[i]["inputs"][pools[i]["sel"][sl]]
                              for i, sl in take.items()])  # fmt: skip
        phys = run.physics(sel)
        a = 0
        for i, sl in take.items():
            b = a + sl.stop - sl.start
            score_physics(run, pools[i], {k: v[a:b] for k, v in phys.items()}, full[i])
            a = b
        todo = [i for i in todo if not _verified_enough(run, pools[i])]
    for p in pools:
        p["sel"] = list(p["sel"][: p["n_done"]])


def score_physics(run: Any, p: dict[str, Any], phys, target: np.ndarray) -> None:
    """Add the physics properties ``phys`` (per component, the next of the pool's selected
    candidates) to pool ``p`` and re-order its final candidates by physics error."""
    old = p["phys"]
    p["phys"] = {k: np.concatenate([old.get(k, np.zeros(0)), v]) for k, v in phys.items()}
    p["n_done"] = n = len(next(iter(p["phys"].values())))
    err = C.relative_error(p["phys"], run.props, np.repeat(target[None], n, 0))
    perc = p["perc"][np.asarray(p["sel"][:n], int)]
    order = C.flowing_first(np.lexsort((err, ~perc)), perc)
    p["final"] = [(p["sel"][j], j) for j in order[: run.n_cand]]
    p["err_phys"] = err


def _verified_enough(run: Any, p: dict[str, Any]) -> bool:
    if p["n_done"] >= len(p["sel"]):
        return True
    j = p["final"][0][1]
    return (len(p["final"]) >= run.n_cand and bool(p["perc"][p["sel"][j]])
            and p["err_phys"][j] <= run.opts.verify_tol)  # fmt: skip


def best_physics(p: dict[str, Any]) -> float:
    """The physics error of a pool's best design (inf when none was verified)."""
    final = p.get("final") or []
    if not final or final[0][1] is None:
        return float("inf")
    return float(p["err_phys"][final[0][1]])


def _next_slice(p: dict[str, Any], batch: int | None) -> slice:
    """The next round of a pool's selected candidates to verify (all when batch is None)."""
    stop = len(p["sel"]) if batch is None else min(len(p["sel"]), p["n_done"] + batch)
    return slice(p["n_done"], stop)
