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
import logging

from porestudio.ml.api import fit_estimate


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="+", help="3D model folder(s) with physics inputs")
    p.add_argument("--data", help="labelled dataset (default: the model's)")
    p.add_argument("--cache", help="folder holding the dataset's physics_inputs.json")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for model in args.model:
        fit = fit_estimate(model, args.data, cache=args.cache)
        logging.info("%s: a %s, b %s, n %s", model, fit.a, fit.b, fit.n)


if __name__ == "__main__":
    main()
