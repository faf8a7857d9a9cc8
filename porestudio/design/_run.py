"""One inverse-design run over a batch of targets (the steps of :mod:`.inverse`)."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import numpy as np

from porestudio.design import _candidates as C
from porestudio.design import _optimise as O
from porestudio.design._physics_rank import best_physics, verify_pools
from porestudio.design._polish import polish, presearch
from porestudio.design.inverse import (
    Candidate,
    DesignResult,
    describe_structures,
    full_structure,
    nearest_rows,
    score_support,
)
from porestudio.design.reference import in_distribution
from porestudio.design.verify import has_estimate, model_predict, physics_properties
from porestudio.errors import InputError
from porestudio.progress import report

log = logging.getLogger(__name__)

_UNITS = 1000  # progress units per target


class Run:
    """State shared by the chunks of one :func:`porestudio.design.inverse.design` call."""

    def __init__(self, model, ref, surrogate, names, n_cand, verify, opts, progress,
                 start=None) -> None:  # fmt: skip
        self.model, self.ref, self.surrogate = model, ref, surrogate
        self.start = start  # (s, d) codes designed from, or None
        self.names = tuple(names)
        self.props = tuple(model.spec.properties)
        self.n_cand, self.verify, self.opts, self.progress = n_cand, verify, opts, progress
        self.dims = model.spec.dims
        self.flow_axes = _flow_axes(self.names)
        self.total = 0
        self.size = int(np.prod(ref.input_shape))
        self.timings: dict[str, float] = {}  # wall seconds per phase (logged at the end)
        self.cpu: dict[str, float] = {}  # process CPU seconds per phase
        self.n_physics = self.n_scored = 0  # physics runs, structures scored
        self.default_threads: int | None = None
        self.n_retried = 0  # targets given a second pass
        self.n_polish = 0  # physics runs of the polish (counted in n_physics too)
        self._hold: int | None = None  # progress held during a second pass
        self.estimate = _uses_estimate(opts.scorer, surrogate if surrogate is not None else model)

    @contextlib.contextmanager
    def _timed(self, phase: str):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - t0
            self.cpu[phase] = self.cpu.get(phase, 0.0) + time.process_time() - c0

    def stats(self) -> dict[str, Any]:
        """Wall and CPU seconds per phase, structures scored, physics runs (so far)."""
        return {"wall_s": dict(self.timings), "cpu_s": dict(self.cpu),
                "scored": self.n_scored, "physics_runs": self.n_physics,
                "retried": self.n_retried, "polish_runs": self.n_polish}  # fmt: skip

    def all(self, values: np.ndarray, labels) -> list[DesignResult]:
        """Designs for targets ``values`` (n, len(names)) [1, voxel²]."""
        import torch

        self.default_threads = torch.get_num_threads()
        with O.torch_threads(self.opts.threads):
            return self._all(values, labels)

    def _all(self, values: np.ndarray, labels) -> list[DesignResult]:
        n = len(values)
        full = np.full((n, len(self.props)), np.nan)
        for j, name in enumerate(self.names):
            full[:, self.props.index(name)] = values[:, j]
        scaled = self.model.scaler.transform(full)
        support = score_support(self.ref, scaled)
        self.total = n * _UNITS
        report(self.progress, 0, self.total)
        out: list[DesignResult] = []
        step = max(1, int(self.opts.chunk))
        for a in range(0, n, step):
            sl = slice(a, min(n, a + step))
            out += self._chunk(a, full[sl], scaled[sl], labels[sl], support[sl])
        phases = ", ".join(f"{k} {v:.2f}/{self.cpu[k]:.2f}" for k, v in self.timings.items())
        log.info("design of %d targets: %d structures scored, %d physics runs; seconds per "
                 "phase (wall/CPU): %s", n, self.n_scored, self.n_physics, phases)  # fmt: skip
        return out

    def _tick(self, start: int, m: int, frac: float) -> None:
        done = int((start + m * frac) * _UNITS) if self._hold is None else self._hold
        report(self.progress, done, self.total)

    def _chunk(self, start, full, scaled, labels, support) -> list[DesignResult]:
        m = len(full)
        rows, _ = nearest_rows(self.ref, scaled, max(1, self.opts.k_init))
        z = self._optimise(start, full, scaled, rows)
        self._tick(start, m, 0.6)
        pools = self._candidates(z, full)
        with self._timed("search"):
            presearch(self, pools, full)
        self._tick(start, m, 0.75)
        outside = support > self.opts.support_radius
        chosen = self._rank(pools, full, outside)
        if self.verify and self.opts.retry_steps:
            self._retry(start, full, scaled, rows, chosen, outside)
        self._tick(start, m, 0.95)
        with self._timed("describe"):
            self._describe(chosen)
            bases = self._baselines(rows[:, 0], full)
        results = []
        for i in range(m):
            cands = self._finish(chosen[i])
            base = bases[i]
            results.append(DesignResult(
                str(labels[i]), self.names, full[i, [self.props.index(n) for n in self.names]],
                tuple(cands), base, bool(support[i] > self.opts.support_radius),
                float(support[i]),
            ))  # fmt: skip
        self._tick(start, m, 1.0)
        return results

    # ---- step 2: optimisation ------------------------------------------------------------
    def _retry(self, start, full, scaled, rows, chosen, outside) -> None:
        """Targets inside the support whose best design misses ``retry_tol`` by physics get a
        second pass with ``retry_steps`` refine steps; the better pool is kept."""
        tol = self.opts.retry_tol
        hard = np.array([i for i, p in enumerate(chosen)
                         if not outside[i] and best_physics(p) > tol], int)  # fmt: skip
        if not len(hard):
            return
        self.n_retried += len(hard)
        self._hold = int((start + len(full) * 0.75) * _UNITS)
        try:
            z = self._optimise(start, full[hard], scaled[hard], rows[hard], self.opts.retry_steps)
            pools = self._rank(self._candidates(z, full[hard]), full[hard], outside[hard])
        finally:
            self._hold = None
        for j, i in enumerate(hard):
            if best_physics(pools[j]) < best_physics(chosen[i]):
                chosen[i] = pools[j]

    def _optimise(self, start, full, scaled, rows, steps=None) -> np.ndarray:
        """Codes to decode per target (m, c, d): refined, screened, raw (start, nearest)."""
        o, ref, model = self.opts, self.ref, self.model
        z0, n_start = self._initial(rows)
        m, k, d = z0.shape
        phi = self._phi(full)
        groups = np.repeat(np.arange(m), k)
        prob = O.make_problem(model, np.repeat(scaled, k, 0), np.repeat(phi, k), ref.mu_mean,
                              ref.mu_std)  # fmt: skip
        tick = self._step_tick(start, m, 0.0, 0.15, o.screen_steps)
        with self._timed("screen"):
            za, la = O.run_adam(z0.reshape(m * k, d), O.screen_loss(model, prob, o.weights), groups,
                                lr=o.lr, steps=o.screen_steps, patience=o.patience, tol=o.tol,
                                device=model.device, tick=tick)  # fmt: skip
        order = O.start_first(np.argsort(la.reshape(m, k), axis=1, kind="stable"), n_start)
        za = za.reshape(m, k, -1)
        keep = min(int(o.keep), k)
        zb0 = za[np.arange(m)[:, None], order[:, :keep]].reshape(m * keep, -1)
        groups = np.repeat(np.arange(m), keep)
        prob = O.make_problem(model, np.repeat(scaled, keep, 0), np.repeat(phi, keep),
                              ref.mu_mean, ref.mu_std)  # fmt: skip
        loss = O.refine_loss(model, prob, o.weights, self.surrogate)
        steps = self.refine_steps() if steps is None else int(steps)
        tick = self._step_tick(start, m, 0.15, 0.45, steps)
        zb = zb0
        if steps > 0:
            with self._timed("refine"):
                zb, _ = O.run_adam(zb0, loss, groups, lr=o.lr, steps=steps, patience=o.patience,
                                   tol=o.tol, device=model.device, tick=tick)  # fmt: skip
        extra = za[np.arange(m)[:, None], order[:, keep : keep + int(o.pool)]]
        raw = z0[:, : n_start + int(o.raw)] if o.k_init else z0[:, :n_start]
        return np.concatenate([zb.reshape(m, keep, -1), extra, raw], axis=1)

    def refine_steps(self) -> int:
        """Refine-step limit: ``opts.steps``, or by device (50 on CUDA, 0 on a CPU)."""
        if self.opts.steps is not None:
            return int(self.opts.steps)
        return 50 if str(getattr(self.model, "device", "cpu")).startswith("cuda") else 0

    def _initial(self, rows: np.ndarray) -> tuple[np.ndarray, int]:
        """Initial codes (m, s + k_init, d): the start codes, then the nearest samples."""
        z = self.ref.latent.mu[rows[:, : self.opts.k_init]].astype(np.float32)
        if self.start is None:
            return z, 0
        s = np.broadcast_to(self.start[None], (len(rows), *self.start.shape))
        return np.concatenate([s, z], axis=1), len(self.start)

    def _step_tick(self, start, m, offset, span, steps):
        def tick(step: int) -> None:
            if step % 10 == 0:
                self._tick(start, m, offset + span * min(step / max(steps, 1), 1.0))

        return tick

    def _phi(self, full: np.ndarray) -> np.ndarray:
        if "porosity" in self.props:
            return full[:, self.props.index("porosity")]
        return np.full(len(full), np.nan)

    # ---- step 3: printable candidates ----------------------------------------------------
    def _candidates(self, z: np.ndarray, full: np.ndarray) -> list[dict[str, Any]]:
        """Per target: cleaned structures (inputs), their codes, percolation, predictions."""
        m, keep, d = z.shape
        with self._timed("decode"):
            prob = self.model.decode(z.reshape(m * keep, d).astype(np.float32))
        with self._timed("binarise"):
            pools = self._binarise(z, prob, full)
        with self._timed("score"), O.torch_threads(self.default_threads):
            self._predict_pools(pools)
        return pools

    def _binarise(self, z, prob, full) -> list[dict[str, Any]]:
        m, keep, _ = z.shape
        phi = self._phi(full)
        pools = []
        for i in range(m):
            inputs, codes, perc, tags = [], [], [], []
            for c in range(keep):
                variants = C.binarise_variants(prob[i * keep + c], phi[i], self.flow_axes,
                                               self.dims, self.opts.porosity_offsets,
                                               self.opts.smoothing)  # fmt: skip
                for v, (pore, ok) in enumerate(variants):
                    inputs.append(pore)
                    codes.append(z[i, c])
                    perc.append(ok)
                    tags.append((c, v))
            uniq = C.unique_rows(np.stack(inputs))
            pools.append({"inputs": np.stack(inputs)[uniq], "z": np.stack(codes)[uniq],
                          "perc": np.asarray(perc, bool)[uniq],
                          "tag": np.asarray(tags, int)[uniq]})  # fmt: skip
        return pools

    def predict(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """The scorer's properties of network inputs (``opts.scorer``: the surrogate's, else
        the pVAE's, network or calibrated estimate); porosity exact."""
        scorer = self.surrogate if self.surrogate is not None else self.model
        pred = model_predict(scorer, _as_pores(self.dims, inputs), estimate=self.estimate)
        pred["porosity"] = inputs.reshape(len(inputs), -1).mean(axis=1)
        return pred

    def physics(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """Properties of network inputs by the physics solver, with the design's settings."""
        o = self.opts
        self.n_physics += len(inputs)
        return physics_properties(_as_pores(self.dims, inputs), self.model.spec,
                                  boundary_mode=self.ref.boundary_mode, device=o.physics_device,
                                  tol=o.physics_tol, max_steps=o.physics_max_steps)  # fmt: skip

    def _predict_pools(self, pools: list[dict[str, Any]]) -> None:
        inputs = np.concatenate([p["inputs"] for p in pools])
        self.n_scored += len(inputs)
        pred = self.predict(inputs)
        a = 0
        for p in pools:
            b = a + len(p["inputs"])
            p["pred"] = {k: np.asarray(v[a:b], float) for k, v in pred.items()}
            a = b

    # ---- physics re-ranking --------------------------------------------------------------
    def _rank(self, pools, full, outside) -> list[dict[str, Any]]:
        o = self.opts
        n_check = o.n_verify or max(30, 2 * self.n_cand)
        n_out = max(int(o.n_verify_outside), self.n_cand) if o.n_verify_outside else n_check
        checks = [min(n_out, n_check) if out else n_check for out in outside]
        for i, p in enumerate(pools):
            tgt = np.repeat(full[i : i + 1], len(p["perc"]), 0)
            err = C.relative_error(p["pred"], self.props, tgt)
            order = np.lexsort((err, ~p["perc"]))
            packed = np.packbits(p["inputs"].reshape(len(err), -1), axis=-1)
            limit = checks[i] if self.verify else self.n_cand
            p["sel"] = C.distinct_order(order, packed, o.min_distinct, self.size, limit)
            p["err_pred"] = err
        if self.verify:
            with self._timed("physics"):
                verify_pools(self, pools, full)
            with self._timed("polish"):
                self.n_polish += polish(self, pools, full, outside)
        return pools

    # ---- step 4: results -----------------------------------------------------------------
    def _describe(self, pools: list[dict[str, Any]]) -> None:
        """Nearest training row, novelty and density of every pool's final candidates."""
        for p in pools:
            sel = np.asarray(p["sel"], int)
            sel = sel[C.flowing_first(np.arange(len(sel)), p["perc"][sel])]
            p["final"] = p.get("final") or [(s, None) for s in sel[: self.n_cand]]
        inputs = np.concatenate([p["inputs"][[s for s, _ in p["final"]]] for p in pools])
        rows, nov, dens = describe_structures(self.ref, self.model, inputs)
        a = 0
        for p in pools:
            b = a + len(p["final"])
            p["desc"] = (rows[a:b], nov[a:b], dens[a:b])
            a = b

    def _finish(self, p: dict[str, Any]) -> list[Candidate]:
        final = p["final"]
        inputs = p["inputs"][[s for s, _ in final]]
        rows, nov, dens = p["desc"]
        out = []
        for n, (s, j) in enumerate(final):
            verified = None if j is None else {k: float(v[j]) for k, v in p["phys"].items()}
            err = p["err_pred"][s] if j is None else p["err_phys"][j]
            out.append(Candidate(
                full_structure(self.model, inputs[n]), p["z"][s].copy(),
                float(p["pred"]["porosity"][s]),
                {k: float(v[s]) for k, v in p["pred"].items()}, verified, float(err),
                float(nov[n]), int(self.ref.latent.indices[rows[n]]), float(dens[n]),
                bool(p["perc"][s]),
            ))  # fmt: skip
        return out

    def _baselines(self, rows: np.ndarray, full: np.ndarray) -> list[Candidate]:
        """The nearest training structure of each target, with its (physics) labels."""
        ref = self.ref
        inputs = ref.structures(rows)
        pred = self.predict(inputs)
        labels = ref.latent.properties[rows]
        err = C.relative_error({n: labels[:, j] for j, n in enumerate(self.props)}, self.props,
                               full)  # fmt: skip
        dens = in_distribution(ref, ref.latent.mu[rows])
        out = []
        for i, row in enumerate(rows):
            out.append(Candidate(
                full_structure(self.model, inputs[i]), None, float(pred["porosity"][i]),
                {k: float(v[i]) for k, v in pred.items()},
                {n: float(labels[i, j]) for j, n in enumerate(self.props)}, float(err[i]), 0.0,
                int(ref.latent.indices[row]), float(dens[i]), self._percolates(inputs[i]),
                "training",
            ))  # fmt: skip
        return out

    def _percolates(self, inputs: np.ndarray) -> bool:
        """Whether a structure (network input) carries flow along every flow axis."""
        if self.dims == 2:
            return bool(inputs.any())
        from porestudio.structures.morphology import percolates

        perc = percolates(np.asarray(inputs, bool), 6)
        return all(perc["xyz".index(a)] for a in self.flow_axes)


def _as_pores(dims: int, inputs: np.ndarray) -> np.ndarray:
    return inputs[:, None] if dims == 2 else inputs


def _uses_estimate(choice: str, scorer: Any) -> bool:
    """Whether candidates are scored by the scoring model's calibrated physics estimate."""
    if choice == "estimate" and not has_estimate(scorer):
        raise InputError(
            "scorer 'estimate' needs a 3D model carrying a calibrated conductance estimate "
            "(physics_fit in its model JSON: scripts/fit_physics_estimate.py)"
        )
    return choice == "estimate" or (choice == "auto" and has_estimate(scorer))


def _flow_axes(names: tuple[str, ...]) -> tuple[str, ...]:
    axes = sorted({c for n in names if n.startswith("k_") for c in n[2:]})
    return tuple(axes) or ("x", "y", "z")
