"""What the window remembers between sessions (QSettings), in one place."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths
from PySide6.QtWidgets import QMainWindow, QSplitter

DEFAULT_SIZE = (1100, 720)
DEFAULT_SPLIT = [780, 300]


class WindowSettings:
    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def threshold(self) -> float:
        try:
            value = float(str(self.settings.value("classify/threshold", 0.0)))
        except ValueError:
            return 0.0
        return min(max(value, 0.0), 1.0)

    def set_threshold(self, value: float) -> None:
        self.settings.setValue("classify/threshold", value)

    def last_folder(self) -> str:
        return str(self.settings.value("paths/last_folder", str(Path.home()), str))

    def last_model_dir(self) -> str:
        """The model folder chosen in the app last time; "" when none."""
        return str(self.settings.value("model/last_dir", "", str))

    def remember_model_dir(self, folder: Path) -> None:
        self.settings.setValue("model/last_dir", str(folder.resolve()))

    def forget_model_dir(self) -> None:
        self.settings.remove("model/last_dir")

    def remember_folder(self, folder: Path) -> None:
        if folder.is_dir():
            self.settings.setValue("paths/last_folder", str(folder))

    def export_folder(self) -> str:
        """The folder of the last export, else Documents (never the photo folder)."""
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        default = documents if documents and Path(documents).is_dir() else str(Path.home())
        folder = str(self.settings.value("paths/last_export_folder", default, str))
        return folder if Path(folder).is_dir() else default

    def remember_export_folder(self, folder: Path) -> None:
        self.settings.setValue("paths/last_export_folder", str(folder))

    def restore_window(self, window: QMainWindow, splitter: QSplitter) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            window.restoreGeometry(geometry)
        else:
            window.resize(*DEFAULT_SIZE)
        state = self.settings.value("window/splitter")
        if isinstance(state, QByteArray) and not state.isEmpty():
            splitter.restoreState(state)
        else:
            splitter.setSizes(DEFAULT_SPLIT)

    def save_window(self, window: QMainWindow, splitter: QSplitter) -> None:
        self.settings.setValue("window/geometry", window.saveGeometry())
        self.settings.setValue("window/splitter", splitter.saveState())
        self.settings.sync()
