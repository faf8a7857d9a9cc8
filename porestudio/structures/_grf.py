"""Gaussian-random-field (spinodoid-like) structures.

White Gaussian noise is filtered in Fourier space with an anisotropic Gaussian so that
the field's covariance along axis ``a`` is ``exp(-r² / (2 ℓ_a²))`` (``ℓ`` = the
correlation length in voxels), then thresholded at its exact quantile: the pore phase
is the ``round(porosity × N)`` lowest field values, so the porosity is hit to one voxel.
"""

from __future__ import annotations

import math

import numpy as np

from porestudio.structures._params import (
    check_int,
    check_lengths,
    check_porosity,
    check_seed,
    check_shape,
)
from porestudio.structures.volume import Structure
from porestudio.units import check_voxel_size


def grf(
    seed: int,
    *,
    shape: tuple[int, int, int] | int = (100, 100, 100),
    porosity: float = 0.5,
    correlation_length_vox: tuple[float, float, float] | float = 5.0,
    periodic: bool = False,
    voxel_size_m: float | None = None,
    index: int = 0,
) -> Structure:
    """A thresholded Gaussian random field with tunable porosity and anisotropy.

    Parameters
    ----------
    seed : int
        Non-negative seed; the noise comes from ``default_rng([seed, index])``.
    shape : (nz, ny, nx) or int
        Volume shape [voxels]; an int gives a cube.
    porosity : float
        Pore volume fraction in (0, 1); hit to within one voxel.
    correlation_length_vox : float or (lz, ly, lx)
        Correlation length of the underlying field per array axis [voxels]; larger along
        one axis → pores elongated along it. 0 = uncorrelated along that axis.
    periodic : bool
        True: the structure tiles periodically (FFT filtering on the domain itself).
        False: the field is filtered on a padded domain and cropped (no wrap-around
        correlation between opposite faces).
    voxel_size_m : float, optional
        Voxel edge [m].
    index : int
        Sample index within the seed's sequence.

    Returns
    -------
    Structure
        Provenance: generator ``"grf"``, parameters, seed and index.
    """
    seed = check_seed(seed)
    index = check_int(index, "index", minimum=0)
    dims = check_shape(shape)
    porosity = check_porosity(porosity)
    lengths = check_lengths(correlation_length_vox, "correlation_length_vox")
    voxel_size_m = check_voxel_size(voxel_size_m)
    field = gaussian_field(dims, lengths, np.random.default_rng([seed, index]), periodic)
    pore = threshold_fraction(field, porosity)
    provenance = {
        "generator": "grf",
        "params": {
            "shape": list(dims),
            "porosity": porosity,
            "correlation_length_vox": list(lengths),
            "periodic": bool(periodic),
        },
        "seed": seed,
        "index": index,
    }
    return Structure(pore, voxel_size_m, provenance)


def gaussian_field(
    shape: tuple[int, int, int],
    lengths: tuple[float, float, float],
    rng: np.random.Generator,
    periodic: bool = True,
) -> np.ndarray:
    """Correlated Gaussian noise of the given shape (float32, zero mean, unit variance).

    Parameters
    ----------
    shape : (nz, ny, nx)
        Output shape [voxels].
    lengths : (lz, ly, lx)
        Correlation lengths per axis [voxels].
    rng : numpy Generator
        Source of the white noise.
    periodic : bool
        If False, the noise is drawn on a domain padded by 4 ℓ per axis and cropped.
    """
    from scipy import fft

    pads = [0 if periodic else math.ceil(4.0 * ell) for ell in lengths]
    full = tuple(n + p for n, p in zip(shape, pads, strict=True))
    noise = rng.standard_normal(full, dtype=np.float32)
    spectrum = fft.rfftn(noise, workers=-1)
    for axis, (n, ell) in enumerate(zip(full, lengths, strict=True)):
        freq = fft.rfftfreq(n) if axis == 2 else fft.fftfreq(n)
        # kernel std σ = ℓ/√2 makes the field covariance exp(-r²/(2ℓ²))
        gain = np.exp(-((np.pi * ell * freq) ** 2)).astype(np.float32)
        view = [1, 1, 1]
        view[axis] = gain.size
        spectrum *= gain.reshape(view)
    field = fft.irfftn(spectrum, s=full, workers=-1)
    field = field[: shape[0], : shape[1], : shape[2]]
    std = float(field.std())
    return ((field - field.mean()) / (std if std > 0 else 1.0)).astype(np.float32)


def threshold_fraction(field: np.ndarray, fraction: float) -> np.ndarray:
    """Boolean mask of the ``round(fraction × N)`` smallest values of ``field`` (ties by order)."""
    flat = field.ravel()
    keep = int(round(fraction * flat.size))
    mask = np.zeros(flat.size, dtype=bool)
    if keep >= flat.size:
        mask[:] = True
    elif keep > 0:
        mask[np.argpartition(flat, keep - 1)[:keep]] = True
    return mask.reshape(field.shape)
