"""The file dialogs the window asks through: photos, a folder, an export file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from edgeclass.image_formats import file_dialog_filter

IMAGE_FILTER = file_dialog_filter()
NAME_FILTERS = {"csv": "CSV (*.csv)", "json": "JSON (*.json)"}


def ask_photos(parent: QWidget, start_folder: str) -> list[str]:
    files, _ = QFileDialog.getOpenFileNames(parent, "Open photos", start_folder, IMAGE_FILTER)
    return list(files)


def ask_export_path(parent: QWidget, kind: str, start_folder: str) -> Path | None:
    """The file the user picked, with the format's suffix added when missing; None: cancelled."""
    suffix = f".{kind}"
    start = str(Path(start_folder) / f"edgeclass-results{suffix}")
    path, _ = QFileDialog.getSaveFileName(parent, "Export results", start, NAME_FILTERS[kind])
    if not path:
        return None
    if not path.lower().endswith(suffix):
        path += suffix
    return Path(path)
