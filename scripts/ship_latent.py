"""Encode the embedded default datasets with the default pVAEs into ``resources/latent``.

The studio reads these read-only encodings (:mod:`porestudio.gui.model.latent_cache`) when
the user's cache has none, so a first start draws the latent map without running the
encoder. Run again after a default model or dataset changes (a stale file is simply never
matched: its name is a hash of the weights and the dataset's contents)::

    python scripts/ship_latent.py
"""

from __future__ import annotations

import argparse
import logging

from porestudio.gui.model import latent_cache
from porestudio.gui.model.compute import design_space
from porestudio.ml import api
from porestudio.resources import RESOURCES_DIR

log = logging.getLogger("ship_latent")

PAIRS = (("models/pvae2d", "default_dataset.h5"), ("models/pvae3d", "default_3d.h5"))
"""(model folder, dataset) under resources/ whose encoding ships."""


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out = latent_cache.shipped_dir()
    keep = set()
    for model_rel, data_rel in PAIRS:
        model_dir, data = RESOURCES_DIR / model_rel, RESOURCES_DIR / data_rel
        if not (model_dir / "model.json").is_file() or not data.is_file():
            log.info("skipping %s on %s: not in resources", model_rel, data_rel)
            continue
        model = api.load(model_dir)
        space = design_space(model, str(data), cache=False)
        path = latent_cache.store_latent(model, space.reference.latent, folder=out)
        keep.add(path)
        log.info("wrote %s (%d codes of %s)", path, len(space.reference.latent.mu), data_rel)
    for old in out.glob("*.h5"):
        if old not in keep:
            old.unlink()
            log.info("removed the stale %s", old.name)


if __name__ == "__main__":
    main()
