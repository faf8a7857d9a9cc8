"""``porestudio latent``: encode a dataset with a pVAE; PCA, KDE, correlations and plots."""

from __future__ import annotations

import argparse

from porestudio.cli._common import examples, progress_bar
from porestudio.cli._design import add_model_args, check_new, load_pvae


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``latent`` sub-command."""
    p = subparsers.add_parser(
        "latent",
        help="latent maps of a dataset: PCA, per-dimension KDE, correlations, plots",
        description=(
            "Encode the labelled samples of a dataset with a pVAE and write the latent means, "
            "the first principal components (explained variance), per-dimension KDEs and the "
            "correlations of the components with the properties to an HDF5 file; --plots "
            "also draws the paper's latent-space figures as PNG."
        ),
        epilog=examples(
            "porestudio latent models/pvae2d set.h5 --out latent.h5",
            "porestudio latent models/pvae2d set.h5 --out latent.h5 --plots figs/ --overwrite",
        ),
    )
    add_model_args(p)
    p.add_argument("data", metavar="DATA.h5", help="labelled dataset fitting the model")
    p.add_argument("--out", required=True, metavar="LATENT.h5", help="output HDF5 file")
    p.add_argument("--plots", metavar="DIR", help="write PNG plots into this folder")
    p.add_argument("--components", type=int, default=10, help="principal components kept")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Encode, analyse, write."""
    from porestudio.design import latent as L

    out = check_new(args.out, args.overwrite)
    model = load_pvae(args.model, args.device)
    with progress_bar("encoding", unit="sample") as bar:
        lat = L.encode_dataset(model, args.data, bar)
    result = L.pca(lat.mu, args.components)
    grid = L.default_grid(lat.mu)
    density = L.kde_per_dim(lat.mu, grid)
    corr = L.correlations(result.scores, lat.properties)
    info = {"model": str(args.model), "weights_sha256": model.config.get("weights_sha256", "")}
    L.write_latent(out, lat, result, grid, density, corr, model_info=info,
                   overwrite=args.overwrite)  # fmt: skip
    ratio = ", ".join(f"{100 * r:.1f}" for r in result.explained_variance_ratio[:5])
    print(f"{out.name}: {len(lat)} samples, {lat.mu.shape[1]}-dim codes; "
          f"explained variance of PC1..5: {ratio} %")  # fmt: skip
    if args.plots:
        from porestudio.design.plots import latent_plots

        files = latent_plots(args.plots, grid, density, result, lat.properties, lat.names, corr,
                             overwrite=args.overwrite)  # fmt: skip
        print(f"{len(files)} plots in {args.plots}")
    return 0
