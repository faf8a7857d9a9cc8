"""Inverse design: target properties → printable structures (paper section 3.3, Fig. 4).

For a batch of targets (porosity and any permeability entries the model predicts):

1. **Initial guesses** — the ``k_init`` (100) training samples nearest each target in the
   model's scaled property space; their latent means start the search.
2. **Optimisation** — batched Adam on the codes (:mod:`porestudio.design._optimise`): the
   regressor alone screens all guesses, then the best ``keep`` per target are refined
   against the regressor, the decode → encode loop, the decoded porosity and the CNN
   surrogate together, with a support penalty that keeps codes in the data's region.
3. **Printable candidates** — each code is decoded, binarised (at 0.5 and at the threshold
   that hits the target porosity), cleaned (no floating solid; pore space spanning the flow
   axis) and scored *on that binary structure*: porosity from the voxels, permeability by
   the surrogate; the best by the surrogate go to the physics solver (``verify="physics"``)
   and are re-ranked by it.
4. **Result** — per target the best distinct candidates, each with predicted and verified
   properties, novelty (Hamming distance to the nearest training structure) and an
   in-distribution score; the nearest training structure as the baseline; and a flag when
   the target lies outside the data's support.

The anchor measurement behind this design (issue 11): a regressor-only loop reached R² 0.96
by its own regressor but −18.9 (k) by physics — the optimiser finds images the networks
misread. Hence several models in the loss, printed structures scored, physics re-ranking.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from porestudio.design._optimise import Weights
from porestudio.design.reference import (
    Reference,
    build_reference,
    in_distribution,
    nearest_by_properties,
    novelty,
    support_distance,
)
from porestudio.design.targets import Targets, make_targets, model_columns
from porestudio.errors import InputError
from porestudio.physics.options import CHECK_MAX_STEPS, CHECK_TOL
from porestudio.progress import ProgressFn

log = logging.getLogger(__name__)

__all__ = ["Candidate", "DesignOptions", "DesignResult", "Weights", "design", "resolve_reference"]


@dataclasses.dataclass(frozen=True)
class DesignOptions:
    """Settings of the inverse design (defaults are those of the benchmark).

    ``k_init`` initial guesses per target; ``keep`` codes per target refined; ``pool`` more
    screened codes and ``raw`` unoptimised initial codes decoded as candidates too; ``screen_steps``
    regressor-only steps; ``steps`` refine-step limit (None: 50 when the model runs on CUDA,
    0 on a CPU, where a refine step costs a decode, an encode and a CNN pass per code — 5.5 s
    per target for 50 steps on the 2-core CPU, with no gain in accuracy by physics measured
    on the default 2D model, docs/bench_design.md), stopped after ``patience`` steps without
    improvement or when every target's loss is below ``tol`` (scaled units²); ``lr`` Adam step;
    ``n_verify`` physics runs per target (default ``max(30, 2 × candidates)``: the
    physics budget is what makes designs accurate — measured on a 32² squares model, 12
    physics runs left a median k error of 4 %, 30 runs 0.4 %); ``support_radius``
    scaled distance beyond which a target is outside the support; ``min_distinct`` least
    Hamming fraction between a target's candidates; ``chunk`` targets per batch;
    ``physics_device`` device of LBM runs (3D); ``porosity_offsets`` relative offsets of the
    target porosity at which each code is binarised besides 0.5 (a small sweep lets the
    physics ranking trade a little porosity for permeability); ``smoothing`` Gaussian widths
    [voxels] of extra variants binarised from the smoothed decoder output; ``threads``
    torch intra-op threads during the design (None: torch's setting; the optimisation's
    many small operations run faster on one thread — measured on the 2-core CPU under load,
    a regressor step over 2000 codes took 8 ms on one thread and 180 ms on two);
    ``verify_batch`` physics runs per target and round (None: all ``n_verify`` at once): a
    target stops once its best design is within ``verify_tol`` (RMS relative error) by
    physics, else after ``n_verify`` runs; ``n_verify_outside`` the most physics runs for
    a target outside the support (None: ``n_verify``), whose error is large by nature;
    a target inside the support whose best design misses ``retry_tol`` (RMS relative error)
    by physics gets a second pass with ``retry_steps`` refine steps (0: none), the better
    pass kept — the refinement where it pays, not for every target; ``physics_tol`` the LBM
    convergence tolerance and ``physics_max_steps`` the step limit per LBM run of 3D
    verification (None: the solver's defaults; a structure past the limit stays unverified);
    ``polish_steps`` physics runs for a target inside the support whose best verified design
    misses ``verify_tol``, each on the neighbour of that design (its map smoothed by
    ``polish_sigma`` voxels along a subset of the axes, binarised at the target porosity or
    ± ``polish_max_dphi``, then up to ``polish_search`` rings of a compass search around the best
    of them) that the scorer, calibrated on the measured design, rates best
    (:mod:`porestudio.design._polish`); ``search_candidates`` the best candidates per target
    (by the scorer) whose neighbours — the same variants and compass search, scored without
    calibration — are searched before physics, their best joining the candidates;
    ``scorer`` what scores the printable candidates (ranks them for physics, guides the
    search and the polish): "network" — the surrogate CNN (else the
    pVAE's regressor on the re-encoded structure) — or "estimate" — the scoring model's
    calibrated conductance estimate (:mod:`porestudio.ml.estimate`; 3D models that read it)
    — or "auto": the estimate where the scoring model carries one (on decoded 3D structures
    it misses the LBM by a median 3–4 %, the 3D CNN by 6–8 %: docs/ml.md), else the network.
    :func:`options_for` gives the defaults of a model (3D: :data:`DEFAULTS_3D`).
    """

    k_init: int = 100
    keep: int = 4
    pool: int = 12
    raw: int = 4
    screen_steps: int = 100
    steps: int | None = None
    patience: int = 400
    tol: float = 1e-5
    lr: float = 0.02
    weights: Weights = Weights()
    n_verify: int | None = None
    support_radius: float = 0.05
    min_distinct: float = 0.002
    chunk: int = 64
    physics_device: str = "cpu"
    porosity_offsets: tuple[float, ...] = (0.0,)
    smoothing: tuple[float, ...] = (0.7,)
    threads: int | None = 1
    verify_batch: int | None = 10
    verify_tol: float = 1e-3
    n_verify_outside: int | None = 10
    retry_steps: int = 50
    retry_tol: float = 3e-3
    physics_tol: float | None = None
    physics_max_steps: int | None = None
    polish_steps: int = 0
    polish_max_dphi: float = 0.01
    polish_sigma: float = 1.5
    polish_search: int = 6
    search_candidates: int = 0
    scorer: str = "auto"


SCORERS = ("auto", "network", "estimate")
"""Choices of :attr:`DesignOptions.scorer`."""

DEFAULTS_3D: dict[str, Any] = {
    "n_verify": 6, "verify_batch": 2, "verify_tol": 0.02, "n_verify_outside": 2,
    "retry_steps": 0, "physics_tol": CHECK_TOL, "physics_max_steps": CHECK_MAX_STEPS,
    "polish_steps": 2, "search_candidates": 2,
}  # fmt: skip
"""What a 3D model changes in :class:`DesignOptions`: each verification is an LBM tensor
(seconds per 48³ cube on a CPU core, where a 2D one is an exact 2D solve of ~20 ms), so fewer
runs, a target done once its best design is within 2 %, no second refine pass, the
tolerance the 3D labels were computed with (scripts/build_3d_dataset.py), and a step limit
per LBM run (a decoded structure can be so tortuous that its run would take many minutes:
it stays unverified), a search before physics around the 2 best candidates (on 16 held-out
targets median k error by the LBM 19 / 21 / 13 % → 12 / 11 / 16 %, p95 of k_zz 52 → 34 %;
with its pattern search a compass search of up to ``polish_search`` 6 rings, 8.9 / 6.6 /
13.4 %; with a Gauss–Newton jump per ring, 9.7 / 7.7 / 6.3 %: docs/design.md), and
two polish runs for a target its verified designs miss (on 8
held-out targets, median k error by the LBM 28 / 16 / 27 % without, 29 / 11 / 22 % with,
median |Δφ| 0.004 → 0.010, 6 more LBM runs over the 8 targets; on 8 other targets the
medians moved 15 / 29 / 25 % → 31 / 13 / 25 % and R² by physics rose on every property:
docs/design.md)."""


def options_for(model: Any, **changes: Any) -> DesignOptions:
    """The default :class:`DesignOptions` of ``model`` (2D or 3D), with ``changes``."""
    dims = int(getattr(getattr(model, "spec", None), "dims", 2))
    base = DesignOptions(**DEFAULTS_3D) if dims == 3 else DesignOptions()
    return dataclasses.replace(base, **changes)


@dataclasses.dataclass(frozen=True, eq=False)
class Candidate:
    """One designed (or baseline) structure.

    Attributes
    ----------
    pore : ndarray of bool (nz, ny, nx)
        The printable structure in the dataset's shape (True = pore).
    z : ndarray (d,) or None
        Its latent code (None for the baseline).
    porosity : float
        Exact, from the voxels.
    predicted : dict of str -> float
        By the surrogate (CNN when given, else the pVAE on the encoded structure)
        [1, voxel²].
    verified : dict of str -> float or None
        By the physics solver (None when not verified); for the baseline its stored labels.
    error : float
        RMS relative error against the target (verified values when present).
    novelty : float
        Fraction of voxels differing from the nearest training structure.
    nearest_index : int
        Dataset index of that training structure.
    in_distribution : float
        Latent density score in [0, 1] (:func:`porestudio.design.reference.in_distribution`).
    percolates : bool
        The pore space connects the faces normal to every flow axis.
    source : str
        "design" or "training" (the baseline).
    """

    pore: np.ndarray
    z: np.ndarray | None
    porosity: float
    predicted: dict[str, float]
    verified: dict[str, float] | None
    error: float
    novelty: float
    nearest_index: int
    in_distribution: float
    percolates: bool
    source: str = "design"


@dataclasses.dataclass(frozen=True, eq=False)
class DesignResult:
    """Designs for one target.

    Attributes
    ----------
    label : str
        Where the target came from.
    names : tuple of str
        The model property names targeted.
    target : ndarray (len(names),)
        Target values [1, voxel²].
    candidates : tuple of Candidate
        Best first (by physics when verified).
    baseline : Candidate
        The training structure nearest the target in property space.
    outside_support : bool
        The target is farther than ``support_radius`` from the labelled data.
    support_distance : float
        That distance [scaled units: fraction of the data's range].
    """

    label: str
    names: tuple[str, ...]
    target: np.ndarray
    candidates: tuple[Candidate, ...]
    baseline: Candidate
    outside_support: bool
    support_distance: float


def resolve_reference(model: Any, data: Any = None, latent: Any = None, progress=None):
    """A :class:`Reference` from a Reference, a dataset path, or the model's own dataset."""
    if isinstance(data, Reference):
        return data
    if data is None:
        data = model.config.get("training", {}).get("dataset")
        if not data or not os.path.exists(data):
            raise InputError("the model's training dataset is not at hand; give it with --data")
    return build_reference(model, data, latent=latent, progress=progress)


def design(
    model: Any,
    targets: Targets | Mapping[str, Any],
    *,
    surrogate: Any = None,
    candidates: int = 5,
    k_init: int | None = None,
    verify: str | None = "physics",
    progress: ProgressFn | None = None,
    data: Any = None,
    options: DesignOptions | None = None,
    start: np.ndarray | None = None,
    stats: dict[str, Any] | None = None,
) -> list[DesignResult]:
    """Design structures for targets (module docstring).

    Parameters
    ----------
    model : LoadedModel
        A pVAE.
    targets : Targets or dict
        Targets (:func:`porestudio.design.targets.make_targets`), lattice units.
    surrogate : LoadedModel, optional
        An independent CNN surrogate (optimised against and used for scoring).
    candidates : int
        Distinct designs returned per target.
    k_init : int, optional
        Nearest training samples used as initial guesses per target (default
        ``options.k_init``, 100 as in the paper); 0 with ``start`` = only the start codes.
    verify : {"physics", None}
        Compute the candidates' properties by physics and re-rank by them.
    progress : ProgressFn, optional
        ``progress(done, total)``; raise Cancelled to stop. When the reference is built here
        (``data`` a path), that stage reports first with its own total.
    data : Reference or path, optional
        The training data (default: the dataset named in the model file).
    options : DesignOptions, optional
        Further settings.
    start : ndarray (d,) or (s, d), optional
        Latent code(s) to design from (e.g. ``io.code_for(model, ct_volume)``): initial
        guesses of every target placed before the ``k_init`` nearest training samples. They
        are always among the codes refined (up to ``options.keep``) and decoded raw too, so
        the candidates include variants of the start structure(s) that meet the target.
    stats : dict, optional
        Filled (when given) with ``wall_s`` and ``cpu_s`` (seconds per phase: screen,
        refine, decode, binarise, score, physics, polish, describe), ``scored`` (structures
        scored by the surrogate), ``physics_runs``, ``retried`` (targets given a second
        pass) and ``polish_runs`` (physics runs of the polish, within ``physics_runs``).

    Returns
    -------
    list of DesignResult
        One per target, in the order of the targets.
    """
    from porestudio.design._run import Run

    if getattr(model, "kind", None) != "pvae":
        raise InputError("inverse design needs a pVAE model (it has the latent space)")
    if verify not in (None, "physics"):
        raise InputError(f"unknown verification {verify!r}; use physics or none")
    if int(candidates) < 1:
        raise InputError(f"candidates must be at least 1; got {candidates}")
    if options is not None and options.scorer not in SCORERS:
        raise InputError(f"unknown scorer {options.scorer!r}; use {', '.join(SCORERS)}")
    if surrogate is not None and getattr(surrogate, "spec", None) is not None:
        surrogate.spec.check_fits(model.spec.sample_shape_zyx, extruded=True)
    opts = options or options_for(model)
    if k_init is not None:
        opts = dataclasses.replace(opts, k_init=int(k_init))
    tg = targets if isinstance(targets, Targets) else make_targets(dict(targets))
    names, values = model_columns(tg, model.spec.properties, model.spec.section_axis)
    ref = resolve_reference(model, data, progress=progress)  # reports its own stage first
    codes = start_codes(start, ref.latent.mu.shape[1])
    if opts.k_init < (1 if codes is None else 0):
        raise InputError(f"k_init must be at least 1 without start codes; got {opts.k_init}")
    run = Run(model, ref, surrogate, names, int(candidates), verify, opts, progress, codes)
    try:
        return run.all(values, tg.labels)
    finally:
        if stats is not None:
            stats.update(run.stats())


def start_codes(start: Any, dim: int) -> np.ndarray | None:
    """Start codes as a float32 array (s, dim), or None; InputError when they do not fit."""
    if start is None:
        return None
    arr = np.asarray(start, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != dim or len(arr) == 0:
        raise InputError(f"start codes must have shape ({dim},) or (s, {dim}) for this model; "
                         f"got {np.shape(start)}")  # fmt: skip
    if not np.isfinite(arr).all():
        raise InputError("start codes must be finite")
    return arr


def nearest_rows(ref: Reference, scaled: np.ndarray, k: int):
    """(rows, distances) of the ``k`` nearest labelled samples (re-exported for the run)."""
    return nearest_by_properties(ref, scaled, k)


def score_support(ref: Reference, scaled: np.ndarray) -> np.ndarray:
    """Support distance of scaled targets (re-exported for the run)."""
    return support_distance(ref, scaled)


def describe_structures(ref: Reference, model: Any, inputs: np.ndarray):
    """(nearest row, novelty, in-distribution) of structures given as network inputs."""
    mu = model.encode(_as_pores(model, inputs))
    rows, nov = novelty(ref, inputs, mu)
    return rows, nov, in_distribution(ref, mu)


def _as_pores(model: Any, inputs: np.ndarray) -> np.ndarray:
    """Network inputs as structures the model's numpy methods take (2D: one-slice stacks)."""
    return inputs[:, None] if model.spec.dims == 2 else inputs


def full_structure(model: Any, inputs: np.ndarray) -> np.ndarray:
    """A network input as a structure of the dataset's shape (2D: extruded)."""
    if model.spec.dims == 2:
        nz = model.spec.sample_shape_zyx[0]
        return np.ascontiguousarray(np.broadcast_to(inputs[None], (nz, *inputs.shape)))
    return np.asarray(inputs, dtype=bool)
