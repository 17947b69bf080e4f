"""The selected photo, large, with its top-k probabilities as bars."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import (
    QFontMetrics,
    QImage,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from edgeclass.desktop.heatmap_panel import HeatmapPanel
from edgeclass.desktop.results_model import STATUS_TEXT, format_confidence, is_unknown
from edgeclass.desktop.thumbnails import load_preview
from edgeclass.runtime.names import display_path
from edgeclass.runtime.results import ClassificationResult

PREVIEW_MAX_SIDE = 1024


class PreviewSignals(QObject):
    loaded = Signal(str, QImage)  # path, the preview (a null QImage when unreadable)


class PreviewLoader(QRunnable):
    """Decodes the large preview off the UI thread: a 12-megapixel photo takes a while."""

    def __init__(self, path: str, max_side: int = PREVIEW_MAX_SIDE) -> None:
        super().__init__()
        self.signals = PreviewSignals()
        self._path = path
        self._max_side = max_side

    def run(self) -> None:
        # A null QImage rather than None: no None crosses threads (see WorkerSignals).
        preview = load_preview(self._path, self._max_side)
        self.signals.loaded.emit(self._path, preview if preview is not None else QImage())


class ProbabilityBars(QWidget):
    """One row per (label, probability): name, a bar in the highlight colour, the percentage."""

    ROW_SPACING = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[tuple[str, float], ...] = ()
        self._chosen: str | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: tuple[tuple[str, float], ...], chosen: str | None = None) -> None:
        self._rows = tuple(rows)
        self._chosen = chosen
        self.updateGeometry()
        self.update()

    def rows(self) -> tuple[tuple[str, float], ...]:
        return self._rows

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 8

    def sizeHint(self) -> QSize:
        height = len(self._rows) * (self._row_height() + self.ROW_SPACING)
        return QSize(240, max(height, 0))

    def minimumSizeHint(self) -> QSize:
        return QSize(160, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._rows:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        metrics = QFontMetrics(self.font())
        label_width = min(
            max(metrics.horizontalAdvance(label) for label, _ in self._rows) + 12,
            self.width() // 3,
        )
        value_width = metrics.horizontalAdvance("100.0%") + 8
        bar_left = label_width
        bar_width = max(self.width() - label_width - value_width, 10)
        row_height = self._row_height()
        y = 0
        for label, probability in self._rows:
            text_rect = QRectF(0, y, label_width - 8, row_height)
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            font = self.font()
            font.setBold(label == self._chosen)
            painter.setFont(font)
            elided = metrics.elidedText(label, Qt.TextElideMode.ElideRight, label_width - 8)
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, elided)
            track = QRectF(bar_left, y + 3, bar_width, row_height - 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Midlight))
            painter.drawRoundedRect(track, 4, 4)
            filled = QRectF(track)
            filled.setWidth(max(track.width() * float(probability), 0.0))
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            if filled.width() > 0:
                painter.drawRoundedRect(filled, 4, 4)
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            value_rect = QRectF(bar_left + bar_width, y, value_width, row_height)
            painter.drawText(
                value_rect,
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                format_confidence(probability),
            )
            y += row_height + self.ROW_SPACING
        painter.end()


class ScaledImageLabel(QLabel):
    """Keeps the photo fitted to the label's size as the pane is resized."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self._refit()

    def image(self) -> QImage | None:
        return self._image

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refit()

    def _refit(self) -> None:
        if self._image is None or self._image.isNull():
            self.setPixmap(QPixmap())
            return
        ratio = self.devicePixelRatioF()
        size = self.contentsRect().size() * ratio
        pixmap = QPixmap.fromImage(
            self._image.scaled(
                size,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        pixmap.setDevicePixelRatio(ratio)
        self.setPixmap(pixmap)


class DetailPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._result: ClassificationResult | None = None
        self._loaders: set[PreviewSignals] = set()
        self._image = ScaledImageLabel(self)
        self._title = QLabel(self)
        self._title.setTextFormat(Qt.TextFormat.PlainText)
        self._title.setWordWrap(True)
        font = self._title.font()
        font.setBold(True)
        self._title.setFont(font)
        self._info = QLabel(self)
        self._info.setTextFormat(Qt.TextFormat.PlainText)
        self._info.setWordWrap(True)
        self._info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._bars = ProbabilityBars(self)
        self._photo: QImage | None = None  # what the heat map replaces, until asked back
        self.heatmap = HeatmapPanel(self)
        self.heatmap.heatmapShown.connect(self._image.set_image)
        self.heatmap.photoRequested.connect(self._show_photo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self._image, 1)
        layout.addWidget(self.heatmap.status)
        title_row = QHBoxLayout()
        title_row.addWidget(self._title, 1)
        title_row.addWidget(self.heatmap)
        layout.addLayout(title_row)
        layout.addWidget(self._info)
        layout.addSpacing(4)
        layout.addWidget(self._bars)
        self.show_result(None)

    def result(self) -> ClassificationResult | None:
        return self._result

    def image(self) -> QImage | None:
        return self._image.image()

    def bars(self) -> ProbabilityBars:
        return self._bars

    previewShown = Signal(str)  # the path whose full preview is now on screen

    def show_result(
        self, result: ClassificationResult | None, thumbnail: QImage | None = None
    ) -> None:
        """Shows the thumbnail at once (if given) and the sharp preview when it is decoded."""
        self._result = result
        self.heatmap.set_result(result)
        self._photo = thumbnail if result is not None and result.ok else None
        if result is None:
            self._image.set_image(None)
            self._image.setText("Select a photo to see it here")
            self._title.setText("")
            self._info.setText("")
            self._bars.set_rows(())
            return
        self._image.setText("")
        self._image.set_image(thumbnail if result.ok else None)
        if result.ok:
            self._load_preview(result.path)
        else:
            self._image.setText(STATUS_TEXT.get(result.status, result.status.value))
        self._title.setText(display_path(Path(result.path).name))
        self._info.setText(_describe(result))
        self._bars.set_rows(result.top_k, chosen=result.label)

    def _load_preview(self, path: str) -> None:
        loader = PreviewLoader(path)
        loader.signals.loaded.connect(self._preview_loaded)
        self._loaders.add(loader.signals)  # keep the signals object alive until it reports
        QThreadPool.globalInstance().start(loader)

    def _preview_loaded(self, path: str, image: QImage) -> None:
        # Released here, not by a lambda: a lambda holding the signals object ties it and this
        # pane into a cycle through Qt that Python never collects (the pane outlived its window).
        signals = self.sender()
        if signals is not None:
            self._loaders.discard(signals)
            signals.deleteLater()
        # A late preview for a row that is no longer selected is dropped.
        if self._result is not None and self._result.path == path and not image.isNull():
            self._photo = image
            if self.heatmap.explanation is None:  # a heat map on screen stays until asked
                self._image.set_image(image)
            self.previewShown.emit(path)

    def _show_photo(self) -> None:
        self._image.set_image(self._photo)


def _describe(result: ClassificationResult) -> str:
    lines = []
    if is_unknown(result):
        best, score = result.top_k[0]
        lines.append(
            f"{result.label}: under the threshold; best guess {best} ({format_confidence(score)})"
        )
    elif result.ok:
        lines.append(f"{result.label}  ({format_confidence(result.score)})")
    if result.ok and result.width and result.height:
        lines.append(f"{result.width:,} × {result.height:,} pixels")
    else:
        lines.append(STATUS_TEXT.get(result.status, result.status.value))
        if result.message:
            lines.append(result.message)
    lines.append(result.path)
    return "\n".join(lines)
