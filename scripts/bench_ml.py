"""Training and inference throughput of the porestudio networks on this machine.

Usage: ``python scripts/bench_ml.py [--seconds 20] [--threads N] [--json OUT]``.
Measures samples/s of full training steps (forward, loss, backward, Adam) of the default
2D pVAE on 100x100 squares sections (the paper's set), with and without channels-last,
the 3D pVAE on 48³ and the CNN surrogates, and the one-thread decode latency.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from porestudio.ml.config import default_config
from porestudio.ml.data import DataSpec
from porestudio.ml.engine import batch_x, loss_terms
from porestudio.ml.model import build_module

CLOCK = time.perf_counter  # --clock cpu: process CPU time (robust on a shared machine)


def _spec(dims: int, shape, props) -> DataSpec:
    return DataSpec(dims, shape, "z" if dims == 2 else None, props, None)


def train_rate(kind, dims, shape, batch, seconds, channels_last, arch=None) -> float:
    """Samples/s of training steps on random binary inputs (warm-up excluded)."""
    props = ("porosity", "k_zz") if dims == 2 else ("porosity", "k_xx", "k_yy", "k_zz")
    spec = _spec(dims, shape, props)
    cfg = default_config(kind, dims)
    if arch:
        cfg["arch"].update(arch)
    torch.manual_seed(0)
    net = build_module(kind, spec, cfg["arch"])
    if channels_last:
        net = net.to(memory_format=torch.channels_last if dims == 2 else torch.channels_last_3d)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x = torch.from_numpy(np.random.default_rng(0).random((256, *spec.input_shape())) > 0.7)
    x = x.to(torch.uint8)
    y = torch.rand(256, len(props))
    stage = {"recon": 1.0, "beta": 1.0, "gamma": 1.0}
    n, t0, steps = 0, None, 0
    while True:
        idx = torch.randint(0, 256, (batch,))
        xb = batch_x(x, idx, "cpu", channels_last)
        total, _ = loss_terms(kind, net, xb, y[idx], stage)
        opt.zero_grad()
        total.backward()
        opt.step()
        steps += 1
        if steps == 3:
            t0 = CLOCK()
        elif steps > 3:
            n += batch
            if CLOCK() - t0 > seconds:
                return n / (CLOCK() - t0)


def reference_pooling_vae(widths=(128, 256, 512, 128), latent=250, size=100):
    """The authors' published 2D reference layout (VAE2D_pooling), rebuilt for timing only.

    Encoder: four 3x3 convolutions (widths as given) each followed by ReLU and 2x2
    max-pooling; dense μ / log σ² heads. Decoder: dense, then four bilinear x2 upsamplings
    each followed by a 3x3 convolution (the third with padding 2 so 100 px come back),
    sigmoid output. Regressor: dense 16-16-4 on μ, 2 outputs.
    """
    from torch import nn

    class Ref(nn.Module):
        def __init__(self):
            super().__init__()
            w = widths
            enc, c = [], 1
            for width in w:
                enc += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
                c = width
            self.enc = nn.Sequential(*enc, nn.Flatten())
            side = size // 16
            flat = w[3] * side * side
            self.mu, self.lv = nn.Linear(flat, latent), nn.Linear(flat, latent)
            self.fc = nn.Linear(latent, flat)
            self.shape = (w[3], side, side)
            outs, pads = (w[2], w[1], w[0], 1), (1, 1, 2, 1)
            dec, c = [], w[3]
            for i, (o, p) in enumerate(zip(outs, pads, strict=True)):
                dec += [nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(c, o, 3, padding=p)]
                dec.append(nn.ReLU() if i < 3 else nn.Sigmoid())
                c = o
            self.dec = nn.Sequential(*dec)
            self.reg = nn.Sequential(
                nn.Linear(latent, 16),
                nn.ReLU(),
                nn.Linear(16, 16),
                nn.ReLU(),
                nn.Linear(16, 4),
                nn.ReLU(),
                nn.Linear(4, 2),
            )

        def forward(self, x):
            h = self.enc(x)
            mu, lv = self.mu(h), self.lv(h)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
            out = self.dec(torch.relu(self.fc(z)).view(-1, *self.shape))
            return out, mu, lv, self.reg(mu)

    return Ref()


def reference_rate(batch, seconds, widths=(128, 256, 512, 128)) -> float:
    """Training samples/s of the reference layout (BCE + KL + MSE, Adam)."""
    torch.manual_seed(0)
    net = reference_pooling_vae(widths)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x = (torch.rand(64, 1, 100, 100) > 0.7).float()
    y = torch.rand(64, 2)
    n, t0, steps = 0, None, 0
    while True:
        idx = torch.randint(0, 64, (batch,))
        out, mu, lv, p = net(x[idx])
        loss = torch.nn.functional.binary_cross_entropy(out[:, :, :100, :100], x[idx])
        loss = loss - 0.5 * torch.mean(1 + lv - mu**2 - lv.exp())
        loss = loss + torch.nn.functional.mse_loss(p, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
        if steps == 2:
            t0 = CLOCK()
        elif steps > 2:
            n += batch
            if CLOCK() - t0 > seconds:
                return n / (CLOCK() - t0)


def decode_latency(dims, shape, reps=50) -> float:
    """Median one-sample decode time [ms] with one intra-op thread."""
    spec = _spec(dims, shape, ("porosity", "k_zz"))
    net = build_module("pvae", spec, default_config("pvae", dims)["arch"]).eval()
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    z = torch.randn(1, net.latent_dim)
    times = []
    with torch.no_grad():
        for _ in range(reps):
            t = CLOCK()
            net.decode(z)
            times.append(CLOCK() - t)
    torch.set_num_threads(old)
    return float(np.median(times[5:]) * 1e3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--json")
    ap.add_argument("--md", help="also write a markdown report (with the benchmark header)")
    ap.add_argument("--quick", action="store_true", help="2D pVAE only")
    ap.add_argument("--reference", action="store_true", help="also time the authors' layout")
    ap.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="cpu: samples per process CPU-second (robust when the machine is shared)",
    )
    a = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if a.clock == "cpu" else time.perf_counter
    if a.threads:
        torch.set_num_threads(a.threads)
    rows = []
    cases = [("pvae", 2, (1, 100, 100), 32, True), ("pvae", 2, (1, 100, 100), 32, False)]
    if not a.quick:
        cases += [
            ("pvae", 3, (48, 48, 48), 8, True),
            ("cnn", 2, (1, 100, 100), 16, True),
            ("cnn", 3, (48, 48, 48), 4, True),
        ]
    if a.reference:
        r = reference_rate(16, a.seconds)
        rows.append(
            {
                "model": "reference VAE2D_pooling (authors' widths)",
                "shape": (1, 100, 100),
                "batch": 16,
                "channels_last": False,
                "train_samples_per_s": round(r, 1),
            }
        )
        print(rows[-1], flush=True)
    for kind, dims, shape, batch, cl in cases:
        r = train_rate(kind, dims, shape, batch, a.seconds, cl)
        rows.append(
            {
                "model": f"{kind} {dims}D",
                "shape": shape,
                "batch": batch,
                "channels_last": cl,
                "train_samples_per_s": round(r, 1),
            }
        )
        print(rows[-1], flush=True)
    lat = {"decode_2d_ms": decode_latency(2, (1, 100, 100))}
    if not a.quick:
        lat["decode_3d_ms"] = decode_latency(3, (48, 48, 48))
    print(lat)
    info = {"threads": torch.get_num_threads(), "torch": torch.__version__, "clock": a.clock}
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"rows": rows, "latency": lat, **info}, fh, indent=2)
    if a.md:
        write_md(a.md, rows, lat, info)


def write_md(path: str, rows: list[dict], lat: dict, info: dict) -> None:
    """A markdown report under the shared benchmark header (scripts/_machine.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import bench_header

    lines = ["# Training throughput of the porestudio networks", "", *bench_header(), ""]
    lines += ["| model | input | batch | channels-last | samples/s |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['model']} | {r['shape']} | {r['batch']} | {r['channels_last']} | "
        f"{r['train_samples_per_s']} |"
        for r in rows
    ]
    lines += ["", f"Decode latency (1 thread): {lat}; clock {info['clock']}, "
              f"{info['threads']} threads, torch {info['torch']}."]  # fmt: skip
    Path(path).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
