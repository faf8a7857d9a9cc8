"""Parts of the CT import dialog: the voxel-size / sub-volume / output form."""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets

from porestudio.errors import InputError
from porestudio.units import check_voxel_size


def parse_voxel_um(text: str) -> float | None:
    """Voxel size [m] from a text in micrometres; None when empty.

    Raises
    ------
    InputError
        Not a number, zero, negative or implausibly large.
    """
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise InputError(f"voxel size must be a number of micrometres, got {text!r}") from None
    if not value > 0:
        raise InputError(f"voxel size must be a positive number of micrometres, got {text}")
    return check_voxel_size(value * 1e-6)


class OptionsBox(QtWidgets.QGroupBox):
    """Voxel size, sub-volume grid, clean-up options and the output file."""

    browse_requested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("3. Voxel size, sub-volumes, output", parent)
        self.shape: tuple[int, int, int] | None = None
        self.voxel_edit = QtWidgets.QLineEdit()
        self.voxel_edit.setPlaceholderText("unknown")
        self.voxel_note = QtWidgets.QLabel("")
        self.sub_box = QtWidgets.QCheckBox("Cut into sub-volumes")
        self.sub_box.toggled.connect(self.update_count)
        self.size_spin = QtWidgets.QSpinBox(minimum=2, maximum=100_000, value=100)
        self.stride_spin = QtWidgets.QSpinBox(minimum=1, maximum=100_000, value=100)
        for spin in (self.size_spin, self.stride_spin):
            spin.setSuffix(" voxel")
            spin.valueChanged.connect(self.update_count)
        self.count_label = QtWidgets.QLabel("1 sample (the whole volume)")
        self.islands_box = QtWidgets.QCheckBox("Remove floating solid islands")
        self.disconnected_box = QtWidgets.QCheckBox("Remove disconnected pores")
        self.out_edit = QtWidgets.QLineEdit()
        out_button = QtWidgets.QPushButton("…")
        out_button.clicked.connect(self._browse_out)
        out_row = QtWidgets.QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(out_button)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Voxel size [µm]", self.voxel_edit)
        form.addRow("", self.voxel_note)
        form.addRow(self.sub_box)
        form.addRow("Size", self.size_spin)
        form.addRow("Stride", self.stride_spin)
        form.addRow("", self.count_label)
        form.addRow(self.islands_box)
        form.addRow(self.disconnected_box)
        form.addRow("Dataset", out_row)

    def _browse_out(self) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(
            self,
            "Dataset",
            self.out_edit.text(),
            "*.h5",
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite,
        )  # the import dialog asks itself, once, before replacing
        if name:
            self.out_edit.setText(name)

    def set_volume(self, shape: tuple[int, int, int], voxel_size_m: float | None) -> None:
        """Defaults for a newly scanned volume (voxel size from its metadata)."""
        self.shape = shape
        if voxel_size_m is not None:
            self.voxel_edit.setText(f"{voxel_size_m * 1e6:.6g}")
        self.voxel_note.setText("from the file" if voxel_size_m else "not in the file")
        self.size_spin.setValue(min(shape))
        self.stride_spin.setValue(min(shape))
        self.update_count()

    def update_count(self) -> None:
        """Show how many samples the sub-volume grid gives."""
        if self.shape is None:
            return
        if not self.sub_box.isChecked():
            self.count_label.setText("1 sample (the whole volume)")
            return
        from porestudio.structures.ct import subvolume_grid

        try:
            _, _, counts = subvolume_grid(
                self.shape, self.size_spin.value(), self.stride_spin.value()
            )
        except InputError as exc:
            self.count_label.setText(str(exc))
            return
        n = counts[0] * counts[1] * counts[2]
        self.count_label.setText(f"{n} samples ({counts[2]}×{counts[1]}×{counts[0]})")

    def voxel_size_m(self) -> float | None:
        """Voxel size [m] (None = unknown); InputError when invalid."""
        return parse_voxel_um(self.voxel_edit.text())

    def options(self) -> dict[str, Any]:
        """This form's keyword arguments of ``import_ct`` (raises InputError)."""
        opts: dict[str, Any] = {
            "voxel_size_m": self.voxel_size_m(),
            "remove_islands": self.islands_box.isChecked(),
            "remove_disconnected": self.disconnected_box.isChecked(),
        }
        if self.sub_box.isChecked():
            opts.update(size=self.size_spin.value(), stride=self.stride_spin.value())
        return opts
