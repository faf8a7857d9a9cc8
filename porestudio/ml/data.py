"""What data a model fits (:class:`DataSpec`), loading samples and labels, the split.

2D models learn the section normal to the extrusion axis (``section_axis="z"``: the
``(ny, nx)`` slice of a z-extruded sample); 3D models the whole ``(nz, ny, nx)`` volume.
Samples are held in memory as uint8 (1 = pore); labels as float64 in physical units.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from porestudio.errors import FormatError, InputError
from porestudio.ml import properties as P

PORE_BITS = "structures/pore_bits"  # docs/dataset_layout.md
PROPS = "properties"
LABEL_OK = 1
LABEL_SURROGATE = 3
"""label_status of a sample labelled by a CNN surrogate, not by physics (bottom-up route)."""
_CHECK_SAMPLES = 8  # samples inspected to decide whether a dataset is extruded


@dataclass(frozen=True)
class DataSpec:
    """The data a model fits; stored in the model JSON.

    Attributes
    ----------
    dims : int
        2 (extruded sets, learned from the section) or 3 (volumes).
    sample_shape_zyx : (int, int, int)
        Sample shape as stored in the dataset [voxels].
    section_axis : str or None
        ``"z"`` for 2D models of z-extruded sets, None for 3D.
    properties : tuple of str
        Outputs (see :mod:`porestudio.ml.properties`).
    voxel_size_m : float or None
        Voxel edge of the training data [m]; None = unknown.
    """

    dims: int
    sample_shape_zyx: tuple[int, int, int]
    section_axis: str | None
    properties: tuple[str, ...]
    voxel_size_m: float | None

    def __post_init__(self) -> None:
        if self.dims not in (2, 3):
            raise InputError(f"dims must be 2 or 3; got {self.dims!r}")
        if self.dims == 2 and self.section_axis != "z":
            raise InputError("2D models learn the z section: section_axis must be 'z'")
        if self.dims == 3 and self.section_axis is not None:
            raise InputError("3D models have no section axis")
        for name in self.properties:
            P.check_name(name)

    def input_shape(self) -> tuple[int, ...]:
        """Network input without the channel: ``(ny, nx)`` (2D) or ``(nz, ny, nx)`` (3D)."""
        nz, ny, nx = self.sample_shape_zyx
        return (ny, nx) if self.dims == 2 else (nz, ny, nx)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "dims": self.dims,
            "sample_shape_zyx": list(self.sample_shape_zyx),
            "section_axis": self.section_axis,
            "properties": list(self.properties),
            "units": {p: P.UNITS[p] for p in self.properties},
            "voxel_size_m": self.voxel_size_m,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DataSpec:
        """Inverse of :meth:`to_json`."""
        try:
            vox = d.get("voxel_size_m")
            return cls(
                dims=int(d["dims"]),
                sample_shape_zyx=tuple(int(v) for v in d["sample_shape_zyx"]),  # type: ignore[arg-type]
                section_axis=d.get("section_axis"),
                properties=tuple(str(p) for p in d["properties"]),
                voxel_size_m=None if vox is None else float(vox),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"model config has a malformed data spec ({exc})") from None

    def check_fits(self, shape_zyx: tuple[int, ...], extruded: bool) -> None:
        """Raise InputError (one line) when samples of this shape do not fit the model.

        Parameters
        ----------
        shape_zyx : (nz, ny, nx)
            Shape of the samples offered.
        extruded : bool
            Whether they are extruded along ``section_axis`` (ignored for 3D models).
        """
        shape = tuple(int(v) for v in shape_zyx)
        if len(shape) != 3:
            raise InputError(f"samples must be 3D (nz, ny, nx) volumes; got shape {shape}")
        if self.dims == 2:
            if shape[1:] != self.sample_shape_zyx[1:]:
                raise InputError(
                    f"this 2D model learned {self.sample_shape_zyx[1]}x"
                    f"{self.sample_shape_zyx[2]} sections; got samples of shape {shape}"
                )
            if not extruded:
                raise InputError(
                    "this 2D model fits structures extruded along z; the samples are not"
                )
        elif shape != self.sample_shape_zyx:
            raise InputError(
                f"this 3D model learned samples of shape {self.sample_shape_zyx}; got {shape}"
            )


def is_extruded(pores: np.ndarray, axis: str = "z") -> bool:
    """Whether every sample of ``pores`` (n, nz, ny, nx) or (nz, ny, nx) is constant along z."""
    if axis != "z":
        raise InputError("only z extrusion is supported")
    a = np.asarray(pores)
    a = a[None] if a.ndim == 3 else a
    return bool((a == a[:, :1]).all())


def _open(path: str | os.PathLike):
    from porestudio.structures.dataset import open_dataset

    return open_dataset(path)


def _labels(ds, accept: tuple[int, ...] = (LABEL_OK,)):
    """(porosity, permeability_lu or None, mask of the ``accept`` statuses) of an open
    dataset (default: physics labels only)."""
    names = ds.property_names()
    props = ds.properties(
        [n for n in ("porosity", "permeability_lu", "label_status") if n in names]
    )
    n = len(ds)
    phi = props.get("porosity", np.full(n, np.nan))
    k = props.get("permeability_lu")
    status = props.get("label_status", np.zeros(n, dtype=np.int8))
    return np.asarray(phi, float), k, np.isin(np.asarray(status), accept)


def spec_for_dataset(path: str | os.PathLike, dims: int | None = None) -> DataSpec:
    """The :class:`DataSpec` for training on a dataset.

    Parameters
    ----------
    path : path
        porestudio HDF5 dataset.
    dims : {2, 3, None}
        None = infer: z-extruded samples (checked on the first few) give 2, else 3.

    Returns
    -------
    DataSpec
        Properties: porosity plus every permeability component labelled (finite) in all
        ``label_status == ok`` samples (2D: ``k_zz`` only; 3D: the diagonal, and the
        off-diagonals when present).

    Raises
    ------
    InputError
        No labelled samples, or a 2D request on a set that is not z-extruded.
    """
    with _open(path) as ds:
        shape = ds.shape
        extruded = is_extruded(ds.pores(0, min(len(ds), _CHECK_SAMPLES)))
        phi, k, ok = _labels(ds)
        name = ds.path.name
        vox = ds.voxel_size_m
    if dims is None:
        dims = 2 if extruded else 3
    if dims == 2 and not extruded:
        raise InputError(f"{name} is not extruded along z; train a 3D model on it")
    if not ok.any() or k is None:
        raise InputError(
            f"{name} has no labelled samples (label_status ok); run 'porestudio label' first"
        )
    candidates = ("k_zz",) if dims == 2 else P.PERMEABILITY
    props = [P.POROSITY]
    for comp in candidates:
        r, c = P.tensor_index(comp)
        if np.isfinite(k[ok, r, c]).all():
            props.append(comp)
    if len(props) == 1:
        raise InputError(f"{name}: labelled samples carry no complete permeability component")
    return DataSpec(
        dims=int(dims),
        sample_shape_zyx=shape,
        section_axis="z" if dims == 2 else None,
        properties=tuple(props),
        voxel_size_m=vox,
    )


def check_dataset_fits(path: str | os.PathLike, spec: DataSpec, need_labels: bool) -> None:
    """InputError (one line) when a dataset does not fit a model's ``spec``.

    Checks the sample shape, the extrusion of 2D models (first samples) and, with
    ``need_labels``, that the dataset carries labels for every property of the model.
    """
    with _open(path) as ds:
        name = ds.path.name
        extruded = spec.dims == 3 or is_extruded(ds.pores(0, min(len(ds), _CHECK_SAMPLES)))
        try:
            spec.check_fits(ds.shape, extruded)
        except InputError as exc:
            raise InputError(f"{name} does not fit the model: {exc}") from None
        if not need_labels:
            return
        phi, k, ok = _labels(ds)
    for prop in spec.properties:
        if prop == P.POROSITY:
            continue
        r, c = P.tensor_index(prop)
        if k is None or not np.isfinite(k[ok, r, c]).any():
            raise InputError(f"{name} has no {prop} labels, which the model predicts")


def labelled_indices(
    path: str | os.PathLike, spec: DataSpec, source: str = "physics"
) -> np.ndarray:
    """Indices of the samples labelled by ``source`` whose ``spec`` targets are all finite.

    ``source`` is ``"physics"`` (label_status ok) or ``"surrogate"`` (label_status 3: a
    CNN's predictions, :mod:`porestudio.ml.surrogate_labels`).
    """
    status = {"physics": LABEL_OK, "surrogate": LABEL_SURROGATE}
    if source not in status:
        raise InputError(f"unknown label source {source!r}; use physics or surrogate")
    with _open(path) as ds:
        phi, k, ok = _labels(ds, (status[source],))
    if k is None:
        return np.zeros(0, dtype=np.int64)
    y = P.from_dataset_arrays(spec.properties, phi, k)
    return np.flatnonzero(ok & np.isfinite(y).all(axis=1)).astype(np.int64)


def load_arrays(
    path: str | os.PathLike,
    spec: DataSpec,
    indices: np.ndarray | None = None,
    surrogate: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Samples and targets of a dataset, in memory.

    Parameters
    ----------
    path : path
        Dataset; must fit ``spec`` (shape, extrusion).
    spec : DataSpec
        What to load.
    indices : array of int, optional
        Samples to load, in this order (their targets are NaN where not labelled). None =
        every sample with an ok label (:func:`labelled_indices`).
    surrogate : bool
        Also give the targets of surrogate-labelled samples (else they are NaN).

    Returns
    -------
    x : ndarray uint8, shape (n, *spec.input_shape())
        1 = pore.
    y : ndarray float64, shape (n, len(spec.properties))
        Targets in physical units (voxel² for permeability).
    """
    if indices is None:
        indices = labelled_indices(path, spec)
    idx = np.asarray(indices, dtype=np.int64).ravel()
    with _open(path) as ds:
        n = len(ds)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise InputError(f"sample indices must lie in 0..{n - 1}")
        idx = idx % max(n, 1)
        phi, k, ok = _labels(ds, (LABEL_OK, LABEL_SURROGATE) if surrogate else (LABEL_OK,))
        x = _read_inputs(ds, spec, idx)
    y = P.from_dataset_arrays(spec.properties, phi[idx], None if k is None else k[idx])
    y[~ok[idx]] = np.nan
    return x, y


def load_inputs(path: str | os.PathLike, spec: DataSpec) -> np.ndarray:
    """Every sample of a dataset as model inputs, labels or not: uint8 (n, *input shape),
    1 = pore (the dataset must fit ``spec``)."""
    with _open(path) as ds:
        return _read_inputs(ds, spec, np.arange(len(ds)))


def _read_inputs(ds, spec: DataSpec, idx: np.ndarray) -> np.ndarray:
    """uint8 (n, *input_shape), read in blocks of sorted unique indices."""
    spec.check_fits(ds.shape, extruded=True)  # shape only; extrusion checked per sample
    out = np.empty((len(idx), *spec.input_shape()), dtype=np.uint8)
    if not len(idx):
        return out
    bits = ds._h5[PORE_BITS]  # noqa: SLF001 - layout documented in docs/dataset_layout.md
    nx = int(spec.sample_shape_zyx[2])
    uniq, inverse = np.unique(idx, return_inverse=True)
    step = 256
    try:
        for a in range(0, len(uniq), step):
            block = uniq[a : a + step]
            lo, hi = int(block[0]), int(block[-1]) + 1
            raw = bits[lo:hi][block - lo] if hi - lo <= 2 * len(block) else bits[block.tolist()]
            if spec.dims == 2:  # check the extrusion on the packed bits, unpack one slice
                bad = ~(raw == raw[:, :1]).all(axis=(1, 2, 3))
                if bad.any():
                    raise InputError(
                        f"{ds.path.name}: sample {int(block[bad][0])} is not extruded along z; "
                        "this 2D model needs extruded samples"
                    )
                raw = raw[:, 0]
            vol = np.unpackbits(raw, axis=-1, count=nx)
            mask = (inverse >= a) & (inverse < a + len(block))
            out[mask] = vol[inverse[mask] - a]
    except OSError as exc:
        raise FormatError(f"cannot read {ds.path.name}: corrupt file ({exc})") from exc
    return out


def split_indices(
    n: int, seed: int, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
) -> dict[str, np.ndarray]:
    """A reproducible train/val/test split of ``range(n)`` (positions, not dataset indices).

    Returns
    -------
    dict
        ``{"train", "val", "test"}`` -> sorted int64 arrays; every part gets at least one
        sample when ``n >= 3``.
    """
    if n < 3:
        raise InputError(f"need at least 3 labelled samples to split; got {n}")
    if len(fractions) != 3 or min(fractions) < 0 or not sum(fractions) > 0:
        raise InputError(f"fractions must be three non-negative numbers; got {fractions}")
    f = np.asarray(fractions, float) / sum(fractions)
    perm = np.random.default_rng(int(seed)).permutation(n)
    n_val = max(1, int(round(f[1] * n)))
    n_test = max(1, int(round(f[2] * n)))
    n_train = n - n_val - n_test
    if n_train < 1:
        raise InputError(f"{n} samples are too few for a train/val/test split")
    return {
        "train": np.sort(perm[:n_train]),
        "val": np.sort(perm[n_train : n_train + n_val]),
        "test": np.sort(perm[n_train + n_val :]),
    }


def dataset_fingerprint(path: str | os.PathLike) -> str:
    """A short hash identifying a dataset's samples and labels (stable across copies).

    Hashes the shape, sample count, creation stamp, the raw pore bits of a few samples and
    the stored porosity, permeability and label status; cheap even for large sets.
    """
    with _open(path) as ds:
        h = hashlib.sha256()
        h.update(repr((ds.shape, len(ds), str(ds.attrs.get("created", "")))).encode())
        h5 = ds._h5  # noqa: SLF001
        n = len(ds)
        for i in sorted({0, n // 2, n - 1} if n else set()):
            h.update(np.ascontiguousarray(h5[PORE_BITS][i]).tobytes())
        for name in ("porosity", "permeability_lu", "label_status"):
            if name in h5[PROPS]:
                h.update(np.ascontiguousarray(h5[PROPS][name][()]).tobytes())
    return h.hexdigest()[:16]


def dataset_path(path: str | os.PathLike) -> Path:
    """``path`` as an absolute Path; InputError when it does not exist."""
    p = Path(path).expanduser().absolute()
    if not p.exists():
        raise InputError(f"no such dataset: {p}")
    return p


def boundary_mode(path: str | os.PathLike) -> str:
    """Side boundaries the dataset's permeability labels were computed with.

    Returns
    -------
    str
        "periodic" (the sample is a torus to the solver) or "kuhn" (walls; also for a
        dataset without permeability labels).
    """
    from porestudio.structures.dataset import open_dataset

    with open_dataset(path) as ds:
        if "permeability_lu" not in ds.property_names():
            return "kuhn"
        mode = ds.property_attrs("permeability_lu").get("boundary_mode", "kuhn")
    return "periodic" if mode == "periodic" else "kuhn"
