"""Space on a row: the photo, large, in a window of its own (decoded off the UI thread).

Under the photo, what the model says about it (and its truth, when known). The arrow keys ask
for the next or previous photo of the list (`stepRequested`), Space or Esc close the window,
as Quick Look does.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from edgeclass.desktop.detail_pane import PreviewLoader, PreviewSignals, ScaledImageLabel
from edgeclass.runtime.names import display_path

PREVIEW_SIDE = 2048
_STEPS = {
    Qt.Key.Key_Right: 1,
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_Left: -1,
    Qt.Key.Key_Up: -1,
}


class PreviewDialog(QDialog):
    shown = Signal(str)  # the path whose picture is now on screen
    stepRequested = Signal(int)  # +1: the next photo of the list, -1: the previous one

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resize(900, 700)
        self.image_label = ScaledImageLabel(self)
        self.answer = _caption_label(self, bold=True)
        self.caption = _caption_label(self, bold=False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.setSpacing(2)
        layout.addWidget(self.image_label, 1)
        layout.addWidget(self.answer)
        layout.addWidget(self.caption)
        self._path = ""
        self._signals: PreviewSignals | None = None

    def path(self) -> str:
        return self._path

    def show_photo(self, path: str, answer: str = "", caption: str = "") -> None:
        """`answer`: what the model says (label, confidence, truth); `caption`: its name and
        place in the list."""
        self._path = path
        self.setWindowTitle(display_path(Path(path).name))
        for label, text in ((self.answer, answer), (self.caption, caption)):
            label.setText(text)
            label.setVisible(bool(text))
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
        key = Qt.Key(event.key())
        if key == Qt.Key.Key_Space:
            self.close()  # Space again closes it, as Quick Look does
        elif key in _STEPS:
            self.stepRequested.emit(_STEPS[key])
        else:
            super().keyPressEvent(event)


def _caption_label(parent: QWidget, *, bold: bool) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setContentsMargins(8, 0, 8, 0)
    if bold:
        font = label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        label.setFont(font)
    return label
