"""Export dialog: STL (closed, mm), TIFF stack or VTI, after a print check.

The print check (floating solid islands, pore percolation, minimum wall thickness) runs in
a worker when the dialog opens; the user may remove the floating islands before writing.
The voxel size is asked for (µm, prefilled when known): an STL in millimetres needs it,
and structures of synthetic datasets (lattice units) have none.
Writing runs in a worker through :mod:`porestudio.structures.export` (atomic files).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from porestudio.errors import InputError
from porestudio.gui.ct_import_parts import parse_voxel_um
from porestudio.gui.feedback import ask_replace, report_error
from porestudio.gui.jobs import JobManager
from porestudio.gui.task import Task
from porestudio.structures.volume import Structure

FORMATS = {"STL (solid, mm)": ".stl", "TIFF stack": ".tif", "VTI (ParaView)": ".vti"}


@dataclasses.dataclass(frozen=True)
class PrintCheck:
    """What matters before printing a structure."""

    islands: int
    percolates_xyz: tuple[bool, bool, bool]
    min_wall_vox: float


def print_check(structure: Structure) -> PrintCheck:
    """Worker: floating solid islands, pore percolation (x, y, z), thinnest wall [voxels]."""
    from porestudio.structures import morphology as m

    pore = structure.pore
    return PrintCheck(
        m.floating_solid_islands(pore), tuple(m.percolates(pore)), m.min_wall_thickness_vox(pore)
    )


def export_structure(
    structure: Structure,
    path: str,
    fmt: str,
    *,
    remove_islands: bool = False,
    skin_vox: int = 0,
    smooth: bool = False,
    overwrite: bool = False,
) -> str:
    """Worker: optionally remove floating solids, then write ``path`` in format ``fmt``.

    Parameters
    ----------
    fmt : {".stl", ".tif", ".vti"}
        Output format.
    overwrite : bool
        Replace an existing ``path`` (the dialog asked first).
    """
    from porestudio.structures import export
    from porestudio.structures.morphology import remove_floating_solids

    if remove_islands:
        structure = structure.replace(pore=remove_floating_solids(structure.pore))
    if fmt == ".stl":
        export.write_stl(structure, path, skin_vox=skin_vox, smooth=smooth, overwrite=overwrite)
    elif fmt == ".tif":
        export.write_tiff(structure, path, overwrite=overwrite)
    elif fmt == ".vti":
        export.write_vti(structure, path, overwrite=overwrite)
    else:
        raise InputError(f"unknown export format {fmt!r}")
    return path


class ExportDialog(QtWidgets.QDialog):
    """Export one structure; emits ``exported(path)`` on success."""

    exported = QtCore.Signal(str)

    def __init__(
        self, structure: Structure, jobs: JobManager, folder: str = "", parent=None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export structure")
        self.structure = structure
        self.jobs = jobs
        self.check: PrintCheck | None = None
        self.format_box = QtWidgets.QComboBox()
        self.format_box.addItems(list(FORMATS))
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.path_edit = QtWidgets.QLineEdit(str(Path(folder or Path.home()) / "structure.stl"))
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self._build_voxel(structure.voxel_size_m)
        self.skin_spin = QtWidgets.QSpinBox()
        self.skin_spin.setRange(0, 50)
        self.skin_spin.setSuffix(" voxel")
        self.skin_spin.setToolTip("Solid frame around the four side faces (STL only)")
        self.smooth_box = QtWidgets.QCheckBox("Smooth surface (marching cubes)")
        self.islands_box = QtWidgets.QCheckBox("Remove floating solid islands first")
        self.check_label = QtWidgets.QLabel("Print check: running…")
        self.check_label.setWordWrap(True)
        self.progress = QtWidgets.QProgressBar()  # shown while writing
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Save
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        self.export_task = Task(
            jobs, "export", busy=(self.buttons,), progress=self.progress, hide_progress=True,
            description="exporting", parent=self,
        )  # fmt: skip
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        self._layout(browse)
        self.jobs.submit(
            "print-check",
            print_check,
            structure,
            on_result=self._show_check,
            description="print check",
        )

    def _build_voxel(self, known: float | None) -> None:
        self.voxel_edit = QtWidgets.QLineEdit("" if known is None else f"{known * 1e6:.6g}")
        self.voxel_edit.setObjectName("export-voxel-size")
        self.voxel_edit.setPlaceholderText("unknown — needed for STL")
        self.voxel_edit.setToolTip("Edge of one voxel in micrometres: sets the size of the print")
        self.voxel_note = QtWidgets.QLabel(
            "The structure has no voxel size (lattice units). Enter one for an STL in mm; "
            "TIFF and VTI store it when given."
            if known is None
            else ""
        )
        self.voxel_note.setWordWrap(True)
        self.voxel_note.setVisible(known is None)
        self.voxel_error = QtWidgets.QLabel("")
        self.voxel_error.setObjectName("export-voxel-error")
        self.voxel_error.setStyleSheet("color: #b03000;")
        self.voxel_error.hide()
        self.voxel_edit.textEdited.connect(lambda _t: self.voxel_error.hide())

    def _layout(self, browse: QtWidgets.QPushButton) -> None:
        form = QtWidgets.QFormLayout(self)
        form.addRow("Format", self.format_box)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        form.addRow("Voxel size [µm]", self.voxel_edit)
        form.addRow("", self.voxel_note)
        form.addRow("", self.voxel_error)
        form.addRow("Skin", self.skin_spin)
        form.addRow("", self.smooth_box)
        form.addRow(self.check_label)
        form.addRow("", self.islands_box)
        form.addRow(self.progress)
        form.addRow(self.buttons)
        self.resize(520, self.sizeHint().height())

    def set_format(self, suffix: str) -> None:
        """Pick the format by suffix (``.stl``, ``.tif``, ``.vti``)."""
        self.format_box.setCurrentIndex(list(FORMATS.values()).index(suffix))

    @property
    def suffix(self) -> str:
        """Suffix of the chosen format."""
        return FORMATS[self.format_box.currentText()]

    def _format_changed(self) -> None:
        stl = self.suffix == ".stl"
        self.skin_spin.setEnabled(stl)
        self.smooth_box.setEnabled(stl)
        path = Path(self.path_edit.text() or "structure")
        self.path_edit.setText(str(path.with_suffix(self.suffix)))

    def _browse(self) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(
            self,
            "Export to",
            self.path_edit.text(),
            f"*{self.suffix}",
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite,
        )  # the studio asks itself, once, in export()
        if name:
            self.path_edit.setText(name)

    def _show_check(self, check: PrintCheck) -> None:
        self.check = check
        perc = ", ".join(a for a, ok in zip("xyz", check.percolates_xyz, strict=True) if ok)
        w = check.min_wall_vox
        wall = "no wall" if math.isinf(w) else f"{w:g} voxel" + ("" if w == 1 else "s")
        warn = []
        if check.islands:
            warn.append(f"{check.islands} floating solid island(s) would print as loose parts")
        if not any(check.percolates_xyz):
            warn.append("the pores do not connect opposite faces: no through-flow")
        text = (
            f"Print check: floating solid islands {check.islands}; pores percolate along "
            f"{perc or 'no axis'}; thinnest wall {wall}."
        )
        if warn:
            text += "<br><span style='color:#b03000'>Warning: " + "; ".join(warn) + "</span>"
        self.check_label.setText(text)
        self.islands_box.setChecked(bool(check.islands))

    def _voxel_error(self, message: str) -> None:
        self.voxel_error.setText(message)
        self.voxel_error.show()
        self.voxel_edit.setFocus()

    def structure_to_write(self) -> Structure | None:
        """The structure with the entered voxel size; None (and an inline message) if the
        entry is invalid or an STL lacks it."""
        try:
            vox = parse_voxel_um(self.voxel_edit.text())
        except InputError as exc:
            self._voxel_error(str(exc))
            return None
        if vox is None and self.suffix == ".stl":
            self._voxel_error("an STL is written in mm: enter the voxel size in µm")
            return None
        self.voxel_error.hide()
        known = self.structure.voxel_size_m
        if vox is None or (known is not None and abs(vox - known) <= 1e-9 * known):
            return self.structure  # unchanged (the µm text round-trips only to ~1e-16)
        return self.structure.replace(voxel_size_m=vox)

    def export(self) -> QtWidgets.QMessageBox | None:
        """Write the file in a worker; the dialog closes on success.

        An existing file is replaced only after the user answers the question this returns
        (None when nothing had to be asked).
        """
        path = self.path_edit.text().strip()
        if not path:
            report_error(InputError("give a file name to export to"), self)
            return None
        structure = self.structure_to_write()
        if structure is None:
            return None
        return ask_replace(path, lambda overwrite: self._write(structure, path, overwrite), self)

    def _write(self, structure: Structure, path: str, overwrite: bool) -> None:
        self.export_task.start(
            export_structure,
            structure,
            path,
            self.suffix,
            remove_islands=self.islands_box.isChecked(),
            skin_vox=self.skin_spin.value(),
            smooth=self.smooth_box.isChecked(),
            overwrite=overwrite,
            progress=False,
            on_result=self._done,
        )

    def _done(self, path: str) -> None:
        self.exported.emit(path)
        self.accept()
