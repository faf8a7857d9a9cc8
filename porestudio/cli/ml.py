"""``porestudio train | evaluate | predict | encode``: the learned models (porestudio.ml)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from porestudio.cli._common import examples, print_json, progress_bar


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train``, ``evaluate``, ``predict`` and ``encode`` sub-commands."""
    _register_train(subparsers)
    p = subparsers.add_parser(
        "evaluate",
        help="held-out metrics of a model on a dataset (R², MAPE; pVAE reconstructions)",
        description=(
            "R², MAPE and RMSE per property on the stored test split (when DATA is the "
            "training set) or on every labelled sample, with a Kozeny-Carman baseline; a "
            "pVAE adds reconstruction BCE, voxel accuracy and porosity error, and with "
            "--physics N the permeability of N decoded structures by the solver."
        ),
        epilog=examples(
            "porestudio evaluate resources/models/cnn2d squares.h5",
            "porestudio evaluate resources/models/pvae2d squares.h5 --physics 20 --json",
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model folder (model.json + model.safetensors)")
    p.add_argument("data", metavar="DATA.h5", help="labelled dataset")
    p.add_argument("--physics", type=int, default=0, metavar="N", help="solve N reconstructions")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=handle_evaluate)
    p = subparsers.add_parser(
        "predict",
        help="porosity and permeability of structures by a model",
        description="Predict with a CNN or the pVAE regressor (k in voxel²).",
        epilog=examples(
            "porestudio predict resources/models/cnn2d resources/default_dataset.h5:-1",
            "porestudio predict resources/models/pvae2d part.tif --json",
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model folder")
    p.add_argument("source", metavar="VOLUME|DATA.h5[:INDEX]", help="volume file or dataset")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=handle_predict)
    p = subparsers.add_parser(
        "encode",
        help="latent means of every sample of a dataset (pVAE), written to a new HDF5 file",
        description="Write μ (n, latent) to OUT (default DATA.latent.h5); DATA is never modified.",
        epilog=examples(
            "porestudio encode resources/models/pvae2d resources/default_dataset.h5 --out mu.h5"
        ),
    )
    p.add_argument("model", metavar="MODEL", help="pVAE model folder")
    p.add_argument("data", metavar="DATA.h5", help="dataset")
    p.add_argument("--out", metavar="LATENT.h5", help="output file (default DATA.latent.h5)")
    p.set_defaults(func=handle_encode)


def _register_train(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a CNN surrogate or a pVAE on a labelled dataset (resumable)",
        description=(
            "Train into the folder OUT (model.json + model.safetensors). A killed or "
            "cancelled run continues from its checkpoint when run again (--fresh starts "
            "over). Runs under torchrun --nproc-per-node N unchanged (DDP)."
        ),
        epilog=examples(
            "porestudio train pvae squares.h5 --out models/pvae2d --epochs 10",
            "porestudio train pvae squares.h5 --out models/pvae2d-ft --init models/pvae2d "
            '--config \'{"stages": [{"name": "transfer", "epochs": 5}]}\'',
            "porestudio train pvae set3d.h5 --out models/pvae3d --pretrain more_cubes.h5",
            "torchrun --nproc-per-node 2 $(which porestudio) train cnn set3d.h5 --out models/cnn",
        ),
    )
    p.add_argument("kind", choices=["cnn", "pvae"], help="model kind")
    p.add_argument("data", metavar="DATA.h5", help="labelled dataset")
    p.add_argument("--out", required=True, metavar="DIR", help="model folder")
    p.add_argument("--epochs", type=int, metavar="N", help="epochs of every stage")
    p.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="auto: CUDA when present, else the CPU",
    )
    p.add_argument("--batch-size", type=int, metavar="B", help="samples per step")
    p.add_argument("--seed", type=int, default=0, help="seed of weights, shuffles and split")
    p.add_argument("--config", metavar="JSON", help="config overrides (a JSON file or string)")
    p.add_argument("--deterministic", action="store_true", help="deterministic kernels")
    p.add_argument(
        "--pretrain", metavar="MORE.h5",
        help="pvae: structures of the same sample shape, labelled or not, that the VAE stages "
        "also learn from (never validation or test)",
    )  # fmt: skip
    p.add_argument(
        "--init", metavar="MODEL",
        help="start from this trained model (fine-tune: its architecture, scaler and split "
        "are kept; the configured stages run on its weights)",
    )  # fmt: skip
    p.add_argument(
        "--threads", type=int, metavar="N",
        help="torch intra-op threads (1 is much faster on a CPU shared with other jobs)",
    )  # fmt: skip
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", dest="resume", action="store_true", default=True,
                   help="continue a checkpoint in DIR (default)")  # fmt: skip
    g.add_argument("--fresh", dest="resume", action="store_false",
                   help="discard a checkpoint and replace a model in DIR")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=handle_train)


def _overrides(text: str | None) -> dict[str, Any] | None:
    import json
    from pathlib import Path

    from porestudio.errors import InputError

    if not text:
        return None
    try:  # JSON text starts with "{" (a long one is no valid file name); else a file
        raw = text if text.lstrip().startswith("{") else Path(text).read_text()
        value = json.loads(raw)
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"--config is neither a JSON file nor JSON text ({exc})") from None
    if not isinstance(value, dict):
        raise InputError("--config must be a JSON object")
    return value


def _with_pretrain(overrides: dict[str, Any] | None, path: str | None) -> dict[str, Any] | None:
    """``--pretrain`` as the ``pretrain_data`` option (it wins over the one in --config)."""
    if path is None:
        return overrides
    return {**(overrides or {}), "pretrain_data": path}


def _format_event(ev: dict[str, Any]) -> str:
    terms = " ".join(
        f"{k}={v:.4g}" for k, v in ev.items()
        if isinstance(v, float) and (k.startswith(("train_", "val_")) or k in ("loss",))
    )  # fmt: skip
    return (
        f"[{ev['stage']} {ev['stage_index'] + 1}/{ev['stages']}] epoch {ev['epoch']}/"
        f"{ev['epochs']} lr={ev['lr']:.2g} {terms} ({ev['samples_per_s']:.0f} samples/s, "
        f"{ev['seconds']:.1f} s){' *' if ev.get('improved') else ''}"
    )


def handle_train(args: argparse.Namespace) -> int:
    """Train, printing one line per epoch on stderr."""
    from porestudio.ml.api import train

    if args.threads is not None:
        import torch

        from porestudio.errors import InputError

        if args.threads < 1:
            raise InputError(f"--threads must be >= 1; got {args.threads}")
        torch.set_num_threads(args.threads)

    def show(ev: dict[str, Any]) -> None:
        print(_format_event(ev), file=sys.stderr, flush=True)

    result = train(
        args.kind, args.data, args.out, epochs=args.epochs, device=args.device,
        batch_size=args.batch_size, seed=args.seed, resume=args.resume, progress=show,
        config_overrides=_with_pretrain(_overrides(args.config), args.pretrain),
        deterministic=args.deterministic, init=args.init,
    )  # fmt: skip
    summary = {
        "model": str(result.directory),
        "seconds": result.seconds,
        "epochs_run": result.epochs_run,
        "resumed": result.resumed,
        "held_out": result.metrics.get("held_out", {}),
    }
    if args.json:
        print_json(summary)
    else:
        print(f"model written to {result.directory} ({result.seconds:.0f} s of training)")
        print(_format_metrics(summary["held_out"].get("test", {}), "test split"))
    return 0


def _format_metrics(props: dict[str, dict[str, float]], title: str) -> str:
    lines = [f"{title}:", f"  {'property':<10} {'R2':>9} {'MAPE %':>9} {'RMSE':>11}"]
    for name, m in props.items():
        lines.append(f"  {name:<10} {m['r2']:>9.4f} {m['mape']:>9.2f} {m['rmse']:>11.4g}")
    return "\n".join(lines)


def handle_evaluate(args: argparse.Namespace) -> int:
    """Evaluate and print."""
    from porestudio.cli._common import progress_bar
    from porestudio.ml.api import evaluate

    with progress_bar("physics", disable=None if args.physics else True) as bar:
        res = evaluate(args.model, args.data, physics_samples=args.physics, progress=bar)
    if args.json:
        print_json(res)
        return 0
    print(_format_metrics(res["properties"], f"{res['model_kind']} on {res['n']} samples "
                                               f"({res['split']})"))  # fmt: skip
    for name, kc in res["kozeny_carman"].items():
        print(f"  Kozeny-Carman {name}: R2 {kc['r2']:.4f}, MAPE {kc['mape']:.2f} %")
    rec = res.get("reconstruction")
    if rec:
        print(
            f"reconstruction: BCE {rec['bce']:.4f}, voxel accuracy {rec['voxel_accuracy']:.4f}, "
            f"porosity error {rec['porosity_abs_error_mean']:.4f} (mean)"
        )
    for name, ph in (res.get("physics") or {}).items():
        if isinstance(ph, dict):
            print(f"physics {name}: median relative error {ph['median_rel_error']:.3%}")
    return 0


def handle_predict(args: argparse.Namespace) -> int:
    """Predict and print one row per structure."""
    from porestudio.ml.api import load, read_pores

    model = load(args.model)
    pores = read_pores(args.source, model.spec)
    pred = model.predict(pores)
    if args.json:
        print_json({"model": args.model, "source": args.source,
                    "units": {k: _unit(k) for k in pred}, "predictions": pred})  # fmt: skip
        return 0
    from porestudio.formatting import format_value, header

    names = list(pred)
    unit = {"1": "", "voxel^2": "voxel²"}
    print("  ".join(f"{h:>16}" for h in ["#", *(header(n, unit[_unit(n)]) for n in names)]))
    for i in range(len(next(iter(pred.values())))):
        print("  ".join([f"{i:>16}", *(f"{format_value(pred[n][i]):>16}" for n in names)]))
    return 0


def _unit(name: str) -> str:
    from porestudio.ml.properties import UNITS

    return UNITS[name]


def handle_encode(args: argparse.Namespace) -> int:
    """Encode a dataset into a new latent file."""
    from pathlib import Path

    from porestudio.ml.api import encode

    out = Path(args.out) if args.out else Path(args.data).with_suffix(".latent.h5")
    with progress_bar("encoding", unit="sample") as bar:
        mu = encode(args.model, args.data, out=out, progress=bar)
    print(f"wrote μ of {len(mu)} samples ({mu.shape[1] if mu.ndim == 2 else 0} dims) to {out}")
    return 0


__all__ = ["register", "np"]
