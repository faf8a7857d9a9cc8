"""Benchmark the HDF5 dataset layer and streamed CT import; writes docs/bench_dataset.md.

Usage::

    .venv/bin/python scripts/bench_dataset.py [--extruded 2000] [--random 300] [--ct-width 1100]

Measures, for 100³ samples, the write and read speed of ``DatasetWriter`` / ``Dataset``
and the bytes per sample, for extruded squares samples (paper section 4.1) and random
(Gaussian-random-field) samples, and projects them to the paper's 48,831-sample set. It
compares the chosen storage (bits packed along x + gzip 4) with plain uint8 + gzip. Then it
imports a synthetic compressed CT stack of 300 × W × W voxels into 100³ sub-volumes and
reports the peak Python memory (tracemalloc) against the size of the whole volume.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from _machine import bench_header

from porestudio.structures import ct
from porestudio.structures.dataset import DatasetWriter, open_dataset

ROOT = Path(__file__).resolve().parents[1]
PAPER_COUNT = 48_831
BATCH = 64


def extruded_samples(n: int, seed: int = 0) -> np.ndarray:
    """``n`` squares samples (100³, extruded along z), helper A's fast path if present."""
    try:
        from porestudio.structures.generators import squares_batch

        sections = squares_batch(n, seed)
    except ImportError:  # pragma: no cover - before the generators exist
        rng = np.random.default_rng(seed)
        sections = np.ones((n, 100, 100), bool)
        for k in range(n):
            for _ in range(rng.integers(10, 41)):
                y, x = rng.integers(0, 91, 2)
                sections[k, y : y + 10, x : x + 10] = False
    return np.ascontiguousarray(np.broadcast_to(sections[:, None], (n, 100, 100, 100)))


def random_samples(n: int, seed: int = 1) -> np.ndarray:
    """``n`` Gaussian-random-field samples (100³, porosity 0.5, correlation ~3 voxels)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    field = (ndimage.gaussian_filter(rng.standard_normal((100, 100, 100)), 3) for _ in range(n))
    return np.stack([f > 0 for f in field])


def bench_layer(name: str, pores: np.ndarray, folder: Path, repeat: int) -> dict:
    """Write ``pores`` ``repeat`` times into one dataset, then read it back."""
    path = folder / f"{name}.h5"
    n = len(pores) * repeat
    t0 = time.perf_counter()
    with DatasetWriter(path, shape=pores.shape[1:], voxel_size_m=None) as w:
        for _ in range(repeat):
            for b in range(0, len(pores), BATCH):
                w.append(pores[b : b + BATCH])
    t_write = time.perf_counter() - t0
    with open_dataset(path) as ds:
        t0 = time.perf_counter()
        for i in range(n):
            ds.pore(i)
        t_seq = time.perf_counter() - t0
        order = np.random.default_rng(0).permutation(n)[: min(n, 500)]
        t0 = time.perf_counter()
        for i in order:
            ds.pore(int(i))
        t_rand = (time.perf_counter() - t0) / len(order)
        t0 = time.perf_counter()
        for b in range(0, n, BATCH):
            ds.pores(b, b + BATCH)
        t_batch = time.perf_counter() - t0
    size = path.stat().st_size
    return {
        "name": name,
        "n": n,
        "write_per_s": n / t_write,
        "read_per_s": n / t_seq,
        "read_batch_per_s": n / t_batch,
        "random_ms": t_rand * 1e3,
        "kb_per_sample": size / n / 1e3,
        "paper_write_min": PAPER_COUNT / (n / t_write) / 60,
        "paper_mb": size / n * PAPER_COUNT / 1e6,
    }


def bench_storage_options(pores: np.ndarray, folder: Path) -> list[tuple[str, float, float]]:
    """(storage, KB per sample, samples/s written) for plain-h5py alternatives."""
    import h5py

    rows = []
    for label, packed, level in [
        ("packbits + gzip 4 (chosen)", True, 4),
        ("packbits + gzip 1", True, 1),
        ("uint8 0/1 + gzip 4", False, 4),
        ("uint8 0/1 + gzip 6", False, 6),
    ]:
        data = np.packbits(pores, axis=-1) if packed else pores.view(np.uint8)
        path = folder / "opt.h5"
        t0 = time.perf_counter()
        with h5py.File(path, "w") as f:
            d = f.create_dataset(
                "x",
                data.shape,
                np.uint8,
                chunks=(1, *data.shape[1:]),
                compression="gzip",
                compression_opts=level,
            )
            for b in range(0, len(data), BATCH):
                d[b : b + BATCH] = data[b : b + BATCH]
        dt = time.perf_counter() - t0
        rows.append((label, path.stat().st_size / len(pores) / 1e3, len(pores) / dt))
    return rows


def bench_ct_stream(width: int, folder: Path) -> dict:
    """Import a 300 × W × W zlib TIFF into 100³ cubes; peak traced memory vs volume size."""
    import tifffile

    path = folder / "ct.tif"
    rng = np.random.default_rng(2)
    base = (rng.random((width, width)) * 40).astype(np.uint8)
    with tifffile.TiffWriter(path) as tif:
        for z in range(300):
            page = np.roll(base, z, axis=1) + np.uint8(100) * ((np.arange(width) + z) % 50 < 20)
            tif.write(page, compression="zlib", photometric="minisblack", contiguous=False)
    tracemalloc.start()
    t0 = time.perf_counter()
    out = ct.import_ct(path, folder / "ct.h5", size=100, stride=100, threshold="otsu")
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with open_dataset(out) as ds:
        count = len(ds)
    return {
        "shape": (300, width, width),
        "volume_mb": 300 * width * width / 1e6,
        "peak_mb": peak / 1e6,
        "count": count,
        "seconds": dt,
    }


def write_report(layer: list[dict], options, ct_row: dict, path: Path, header: list[str]) -> None:
    lines = [
        "# Dataset layer benchmark",
        "",
        *header,
        f"Load average {os.getloadavg()[0]:.1f} at the end (shared machine: rates are "
        "lower bounds). 100³ samples, "
        f"batches of {BATCH}; the file is read back one sample at a time (`pore(i)`), "
        "in batches (`pores(a, b)`) and at random indices.",
        "",
        "| samples | n | write /s | read /s | batch read /s | random read ms | KB/sample "
        f"| {PAPER_COUNT:,} samples: write min | size MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in layer:
        lines.append(
            f"| {r['name']} | {r['n']} | {r['write_per_s']:.0f} | {r['read_per_s']:.0f} | "
            f"{r['read_batch_per_s']:.0f} | {r['random_ms']:.2f} | {r['kb_per_sample']:.1f} | "
            f"{r['paper_write_min']:.1f} | {r['paper_mb']:.0f} |"
        )
    lines += [
        "",
        "Storage options on the extruded samples (plain h5py, same chunking):",
        "",
        "| storage | KB/sample | write /s |",
        "|---|---|---|",
        *[f"| {label} | {kb:.1f} | {rate:.0f} |" for label, kb, rate in options],
        "",
        "## Streamed CT import",
        "",
        f"A synthetic zlib-compressed TIFF of {ct_row['shape'][0]} × {ct_row['shape'][1]} × "
        f"{ct_row['shape'][2]} uint8 voxels ({ct_row['volume_mb']:.0f} MB as an array) was cut "
        f"into {ct_row['count']} sub-volumes of 100³ (stride 100, Otsu over the whole stack) in "
        f"{ct_row['seconds']:.1f} s. Peak traced Python memory: {ct_row['peak_mb']:.0f} MB, "
        "i.e. one z-band of 100 pages plus working copies, never the whole stack.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extruded", type=int, default=2000, help="extruded samples to write")
    parser.add_argument("--random", type=int, default=256, help="random samples to write")
    parser.add_argument("--ct-width", type=int, default=1100, help="W of the 300 × W × W stack")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench_dataset.md")
    args = parser.parse_args()
    header = bench_header()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ext = extruded_samples(min(args.extruded, 500))
        rnd = random_samples(min(args.random, 64))
        layer = [
            bench_layer("extruded squares", ext, folder, max(1, args.extruded // len(ext))),
            bench_layer("random (GRF)", rnd, folder, max(1, args.random // len(rnd))),
        ]
        options = bench_storage_options(ext[:256], folder)
        ct_row = bench_ct_stream(args.ct_width, folder)
    write_report(layer, options, ct_row, args.out, header)
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
