"""Space on a row: the photo, large, in a window of its own (decoded off the UI thread)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from edgeclass.desktop.detail_pane import PreviewLoader, PreviewSignals, ScaledImageLabel
from edgeclass.runtime.names import display_path

PREVIEW_SIDE = 2048


class PreviewDialog(QDialog):
    shown = Signal(str)  # the path whose picture is now on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resize(900, 700)
        self.image_label = ScaledImageLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.image_label)
        self._path = ""
        self._signals: PreviewSignals | None = None

    def show_photo(self, path: str) -> None:
        self._path = path
        self.setWindowTitle(display_path(Path(path).name))
        self.image_label.set_image(None)
        self.image_label.setText("Loading…")
        loader = PreviewLoader(path, PREVIEW_SIDE)
        loader.signals.loaded.connect(self._loaded)
        self._signals = loader.signals  # alive until it reports
        QThreadPool.globalInstance().start(loader)
        self.show()
        self.raise_()

    def _loaded(self, path: str, image: QImage) -> None:
        if path != self._path:
            return  # a later Space press asked for another photo
        if image.isNull():
            self.image_label.setText("This photo cannot be shown")
            return
        self.image_label.setText("")
        self.image_label.set_image(image)
        self.shown.emit(path)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space:
            self.close()  # Space again closes it, as Quick Look does
            return
        super().keyPressEvent(event)
