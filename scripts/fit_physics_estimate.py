"""Fit a 3D model's calibrated conductance estimate and store it in its model JSON.

    python scripts/fit_physics_estimate.py resources/models/cnn3d [--data DATA.h5] [--cache DIR]

The power law ``k_ii = exp(b) q_i^a`` per axis (:mod:`porestudio.ml.estimate`) is fitted on
the model's training dataset, outside its test split; ``train`` fits it itself for a new 3D
model with physics inputs, so this is for models trained before it did. ``--cache`` names
a folder with the dataset's ``physics_inputs.json`` (a training run's), else every estimate
is computed (~0.75 s per 48³ cube).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from porestudio.ml import physics_inputs
from porestudio.ml.api import fit_estimate


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="+", help="3D model folder(s) with physics inputs")
    p.add_argument("--data", help="labelled dataset (default: the model's)")
    p.add_argument("--cache", help="folder holding the dataset's physics_inputs.json")
    p.add_argument("--refresh-evaluation", action="store_true",
                   help="rescore the conductance estimate in the folder's evaluation.json "
                        "(scripts/train_default_models.py) with the new fit")  # fmt: skip
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for model in args.model:
        fit = fit_estimate(model, args.data, cache=args.cache)
        logging.info("%s: a %s, b %s, n %s", model, fit.a, fit.b, fit.n)
        if args.refresh_evaluation:
            refresh_evaluation(Path(model), args.data)


def refresh_evaluation(folder: Path, data: str | None) -> None:
    """Replace ``conductance_estimate`` of ``folder/evaluation.json`` by the model's own fit
    scored on the samples that evaluation used (the model's test split)."""
    from porestudio.ml.api import load
    from porestudio.ml.data import load_arrays
    from porestudio.ml.estimate import of_model
    from porestudio.ml.evaluation import conductance_metrics, evaluation_indices

    path = folder / "evaluation.json"
    evaluation = json.loads(path.read_text())
    m = load(folder)
    dataset = data or evaluation["dataset"]
    idx, split = evaluation_indices(m, Path(dataset))
    x, y = load_arrays(dataset, m.spec, idx)
    est = physics_inputs.compute(x)
    evaluation["conductance_estimate"] = conductance_metrics(m.spec, est, y, of_model(m.config))
    path.write_text(json.dumps(evaluation, indent=1, default=str))
    logging.info("%s: conductance estimate on the %s split rescored", path, split)


if __name__ == "__main__":
    main()
