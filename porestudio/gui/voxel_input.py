"""Voxel size where the data has none: a small input row, and storing it in a dataset.

The paper's synthetic datasets are in lattice units (no voxel size). Permeabilities in m²
or mD, physical scale bars and STL files in millimetres need one, so the user can enter
it: for this session only (nothing is written), or stored in the dataset on request.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from porestudio.errors import InputError
from porestudio.gui.ct_import_parts import parse_voxel_um
from porestudio.units import check_voxel_size

UNKNOWN_VOXEL_HINT = (
    "m² and mD need the voxel size, which this structure does not have: synthetic datasets "
    "(like the paper's) are in lattice units, where permeability is in voxel². Enter a voxel "
    "size (µm) under Morphology to convert."
)


def store_voxel_size(path: str | os.PathLike, voxel_size_m: float) -> str:
    """Worker: write a voxel size [m] into a dataset that has none (atomic rewrite).

    Raises
    ------
    InputError
        Bad value, or the dataset already has a voxel size (a different one would
        silently rescale its stored physical quantities).
    """
    from porestudio.structures import dataset

    voxel_size_m = check_voxel_size(voxel_size_m, required=True)
    with dataset.open_dataset(path) as ds:
        if ds.voxel_size_m is not None:
            raise InputError(
                f"{Path(path).name} already has a voxel size ({ds.voxel_size_m * 1e6:.4g} µm)"
            )
    dataset.set_voxel_size(path, voxel_size_m)
    return str(path)


class VoxelSizeInput(QtWidgets.QWidget):
    """``[ µm ] [Use] [Save to dataset]`` with an inline error line.

    Signals
    -------
    requested(float, bool)
        A valid voxel size [m] was entered; the flag asks to store it in the dataset.
    """

    requested = QtCore.Signal(float, bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QtWidgets.QLineEdit()
        self.edit.setObjectName("voxel-size-input")
        self.edit.setPlaceholderText("µm")
        self.edit.setMinimumWidth(60)
        self.edit.setMaximumWidth(90)
        self.edit.setToolTip("Voxel edge in micrometres (the scan resolution or print scale)")
        self.use_button = QtWidgets.QPushButton("Use")
        self.use_button.setToolTip("Use this voxel size in the studio for this session only")
        self.save_button = QtWidgets.QPushButton("Save to dataset")
        self.save_button.setToolTip("Also write the voxel size into the dataset file")
        self.error = QtWidgets.QLabel("")
        self.error.setStyleSheet("color: #b03000;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.edit.returnPressed.connect(lambda: self._request(False))
        self.use_button.clicked.connect(lambda: self._request(False))
        self.save_button.clicked.connect(lambda: self._request(True))
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.edit, self.use_button, self.save_button):
            row.addWidget(w)
        row.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error)

    def set_can_save(self, can_save: bool) -> None:
        """Offer "Save to dataset" (only for a sample of an open dataset without one)."""
        self.save_button.setVisible(can_save)

    def _request(self, persist: bool) -> None:
        try:
            value = parse_voxel_um(self.edit.text())
            if value is None:
                raise InputError("enter the voxel size in micrometres, e.g. 5")
        except InputError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.error.hide()
        self.requested.emit(value, persist)
