"""Relabel the samples a face-to-face percolation check wrongly gave k = 0 in periodic mode.

Until session 10 the permeability driver decided whether to run the solver along an axis
by asking whether one pore cluster connects the two faces normal to it, in periodic mode
too. A periodic flow needs something else: a path that winds around the periodic domain
(``morphology.percolates(..., periodic=True)``). A cube whose pore path crosses the side
faces on its way got k = 0 without a run, and a cube whose face-to-face cluster does not
meet itself across the periodic faces was run to the step limit and recorded as failed.

This script finds the labelled samples with a zero diagonal component along which the
pore space winds around the domain (18-connected, the D3Q19 links), clears their labels,
and labels them again, together with the failed and the unlabelled samples, with the
options of ``scripts/build_3d_dataset.py`` (periodic tensor, tol 1e-3, step cap).

Usage::

    python scripts/relabel_periodic_zeros.py DATA.h5 [--workers 2] [--max-steps 8000]
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from porestudio.physics.campaign import label_dataset
from porestudio.structures.dataset import open_dataset, write_properties
from porestudio.structures.morphology import percolates

log = logging.getLogger("relabel_periodic_zeros")


def wrong_zeros(path: Path) -> np.ndarray:
    """Indices of labelled samples with k_aa = 0 along an axis their pore space winds around."""
    with open_dataset(path) as ds:
        props = ds.properties(["label_status", "permeability_lu"])
        status, k = props["label_status"], props["permeability_lu"]
        out = []
        for i in np.flatnonzero(status == 1):
            zero = np.diagonal(k[i]) == 0
            if (
                zero.any()
                and (np.asarray(percolates(ds.pore(int(i)), 18, periodic=True)) & zero).any()
            ):
                out.append(int(i))
    return np.asarray(out, dtype=np.int64)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("data", type=Path)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=8000)
    p.add_argument("--tol", type=float, default=1e-3)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    bad = wrong_zeros(args.data)
    log.info("%d labelled samples have a wrong k = 0: %s", len(bad), bad.tolist())
    if len(bad):
        write_properties(args.data, {"label_status": np.zeros(len(bad), np.int8),
                                     "permeability_lu": np.full((len(bad), 3, 3), np.nan)},
                         indices=bad)  # fmt: skip
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        log.info("labelled %d / %d (%.0f s)", done, total, time.perf_counter() - t0)

    summary = label_dataset(
        args.data, tensor=True, mode="periodic", workers=args.workers, progress=progress,
        flush_seconds=120.0, tol=args.tol, max_steps=args.max_steps, retry_failed=True,
    )  # fmt: skip
    log.info("%s", summary.to_dict())


if __name__ == "__main__":
    main()
