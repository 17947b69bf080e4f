"""The drop target: turns dropped file and folder URLs into paths and emits them. No inference."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

NO_MODEL_HINT = (
    "No model is loaded. Choose a model folder with File > Choose Model… "
    "(a folder holding model.onnx, config.json and preprocessor_config.json, "
    "as `edgeclass quantize` writes it)."
)


def paths_from_mime_data(mime: QMimeData) -> list[Path]:
    """Local file and folder paths carried by a drag or a clipboard; remote URLs are ignored."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class DropZone(QFrame):
    """A large framed area that accepts files and folders.

    `pathsDropped` carries the local paths; `openRequested` asks the window to show its file
    dialog (the button inside the zone). The message text is set by the window, so the zone can
    say how to choose a model when none is loaded.
    """

    pathsDropped = Signal(list)
    openRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DropZone")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self._title = QLabel(self)
        self._title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self._title.setFont(font)

        self._hint = QLabel(self)
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._hint.setWordWrap(True)
        self._hint.setTextFormat(Qt.TextFormat.PlainText)

        self._button = QPushButton("Open Photos…", self)
        self._button.clicked.connect(self.openRequested)

        self._layout = layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(10)
        layout.addStretch(1)
        layout.addWidget(self._title)
        layout.addWidget(self._hint)
        layout.addWidget(self._button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self._title_font = font
        self._compact = False
        self._highlight = False
        self.set_message("Drop photos or folders here", "")

    def set_message(self, title: str, hint: str) -> None:
        self._title.setText(title)
        self._hint.setText(hint)
        self._hint.setVisible(bool(hint) and not self._compact)

    def show_no_model(self) -> None:
        self.set_message("No model loaded", NO_MODEL_HINT)
        self.set_button_text("Choose Model…")

    def show_model(self, name: str, labels: Sequence[str], has_rows: bool) -> None:
        self.set_message(
            "Drop more photos here" if has_rows else "Drop photos or folders here",
            f"Model “{name}” sorts photos into: {', '.join(labels)}. Nothing leaves this computer.",
        )
        self.set_button_text("Open Photos…")

    def set_button_text(self, text: str) -> None:
        self._button.setText(text)

    def button_text(self) -> str:
        return self._button.text()

    def message(self) -> tuple[str, str]:
        return self._title.text(), self._hint.text()

    def is_compact(self) -> bool:
        return self._compact

    def set_compact(self, compact: bool) -> None:
        """Shrink to a slim strip once results fill the window; the zone still accepts drops."""
        if compact == self._compact:
            return
        self._compact = compact
        self._hint.setVisible(not compact and bool(self._hint.text()))
        self._button.setVisible(not compact)
        title_font = self.font() if compact else self._title_font
        self._title.setFont(title_font)
        layout = self._layout
        if compact:
            layout.setContentsMargins(12, 6, 12, 6)
            layout.activate()
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.setFixedHeight(layout.totalMinimumSize().height() + 4)
        else:
            layout.setContentsMargins(24, 16, 24, 16)
            self.setMinimumHeight(0)
            self.setMaximumHeight(16777215)
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def take_drops_for(self, window: QWidget) -> None:
        """Photos dropped anywhere on `window` (the table, the detail pane) come here too."""
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, (QDragEnterEvent, QDropEvent)) and watched is not self:
            paths = paths_from_mime_data(event.mimeData())
            if paths:
                event.acceptProposedAction()
                if event.type() == QEvent.Type.Drop:
                    self.pathsDropped.emit(paths)
                return True
        return super().eventFilter(watched, event)

    def _set_highlight(self, on: bool) -> None:
        self._highlight = on
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        # Painted from the palette on every paint (no style sheet), so the zone follows a
        # light/dark switch of the system while the app runs.
        palette = self.palette()
        role = QPalette.ColorRole
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(palette.color(role.Highlight if self._highlight else role.Mid), 2)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(palette.color(role.AlternateBase if self._highlight else role.Base))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 10, 10)
        painter.end()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if paths_from_mime_data(event.mimeData()):
            event.acceptProposedAction()
            self._set_highlight(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if paths_from_mime_data(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_highlight(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_highlight(False)
        paths = paths_from_mime_data(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.pathsDropped.emit(paths)
