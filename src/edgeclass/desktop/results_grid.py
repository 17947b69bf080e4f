"""The grid: the same rows as the table (same filter, sort and selection), as tiles.

Each tile is drawn whole by `TileDelegate`: the photo, its name, and its label with the
confidence, marked ✓ or ✗ (and coloured) when the truth of its folder is known; a selected tile
gets the highlight colour, as in a photo browser. The tiles share out the width of the view, so
no strip of it stays empty, and a tile is laid out at its full size before its thumbnail
arrives, so rows streaming in during a run never show half a tile.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QIcon,
    QKeyEvent,
    QPainter,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from edgeclass.desktop.results_model import (
    CONFIDENCE,
    LABEL,
    NAME,
    STATUS,
    THUMBNAIL,
    TRUTH,
    ResultRole,
    is_unknown,
)
from edgeclass.desktop.results_table import ResultsTable, is_context_menu_key
from edgeclass.desktop.thumbnails import THUMBNAIL_SIZE
from edgeclass.runtime.results import ClassificationResult

PICTURE = THUMBNAIL_SIZE  # logical pixels: the thumbnails' own size at 100 %
PADDING = 6
MIN_TILE_WIDTH = PICTURE + 4 * PADDING + 16  # room for a label and its confidence

_Index = QModelIndex | QPersistentModelIndex


class TileDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tile = QSize(MIN_TILE_WIDTH, PICTURE)  # set by the grid to its cell's size

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return self.tile  # every tile fills its cell, thumbnail or not yet

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        result = index.data(ResultRole)
        if not isinstance(result, ClassificationResult):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = option.palette
        tile = QRectF(option.rect).adjusted(2, 2, -2, -2)
        state = option.state
        if state & QStyle.StateFlag.State_Selected:
            highlight = palette.color(QPalette.ColorRole.Highlight)
            fill = QColor(highlight)
            fill.setAlpha(60)
            painter.setBrush(fill)
            painter.setPen(QPen(highlight, 2))
            painter.drawRoundedRect(tile.adjusted(1, 1, -1, -1), 6, 6)
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(tile, 6, 6)
        self._paint_picture(painter, option.rect, index)
        self._paint_text(painter, option, index, result)
        painter.restore()

    def _paint_picture(self, painter: QPainter, rect: QRect, index: _Index) -> None:
        frame = QRect(rect.left(), rect.top() + PADDING, rect.width(), PICTURE)
        icon = index.sibling(index.row(), THUMBNAIL).data(Qt.ItemDataRole.DecorationRole)
        if not isinstance(icon, QIcon):  # no picture (yet): a frame of the picture's size
            box = QRect(0, 0, PICTURE, PICTURE * 3 // 4)
            box.moveCenter(frame.center())
            pen = QPen(self._mid_colour(painter), 1, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box, 4, 4)
            return
        pixmap = icon.pixmap(QSize(PICTURE, PICTURE))
        size = pixmap.size().scaled(QSize(PICTURE, PICTURE), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(frame.center())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, pixmap)

    def _mid_colour(self, painter: QPainter) -> QColor:
        parent = self.parent()
        palette = parent.palette() if isinstance(parent, QWidget) else QPalette()
        return palette.color(QPalette.ColorRole.Mid)

    @staticmethod
    def tile_text(index: _Index) -> tuple[str, str]:
        """The two lines under a tile's picture: the file name, and the answer (`✓ cat 97.1%`,
        `✗ dog 88.0%`, `unknown (cat 31.0%)`) or, for a file that failed, its status."""
        result = index.data(ResultRole)

        def cell(column: int) -> str:
            return str(index.sibling(index.row(), column).data() or "")

        if not isinstance(result, ClassificationResult) or not result.ok:
            return cell(NAME), cell(STATUS)
        mark = _mark(cell(TRUTH))
        if is_unknown(result):
            return cell(NAME), f"{mark}{cell(LABEL)} ({cell(CONFIDENCE)})"
        return cell(NAME), f"{mark}{cell(LABEL)}  {cell(CONFIDENCE)}"

    def _paint_text(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: _Index,
        result: ClassificationResult,
    ) -> None:
        rect, metrics, palette = option.rect, option.fontMetrics, option.palette
        line = metrics.height()
        width = rect.width() - 2 * PADDING
        top = rect.top() + 2 * PADDING + PICTURE
        name, answer_text = self.tile_text(index)
        text_colour = palette.color(QPalette.ColorRole.Text)
        painter.setPen(text_colour)
        painter.setFont(option.font)
        painter.drawText(
            QRect(rect.left() + PADDING, top, width, line),
            Qt.AlignmentFlag.AlignHCenter,
            metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, width),
        )
        answer = index.sibling(index.row(), LABEL if result.ok else STATUS)
        colour = answer.data(Qt.ItemDataRole.ForegroundRole)
        font = answer.data(Qt.ItemDataRole.FontRole) or QFont(option.font)
        font.setBold(not is_unknown(result))
        painter.setFont(font)
        painter.setPen(colour if colour is not None else text_colour)
        painter.drawText(
            QRect(rect.left() + PADDING, top + line, width, line),
            Qt.AlignmentFlag.AlignHCenter,
            painter.fontMetrics().elidedText(answer_text, Qt.TextElideMode.ElideRight, width),
        )


def _mark(truth_text: object) -> str:
    """`✓ ` or `✗ ` from the Truth column's text, "" when the truth is not known."""
    text = str(truth_text or "")
    return text[:2] if text[:1] in ("✓", "✗") else ""


class ResultsGrid(QListView):
    def __init__(self, table: ResultsTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._table = table
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setModel(table.model())
        self.setModelColumn(THUMBNAIL)  # the row; the delegate reads the other columns
        self.setSelectionModel(table.selectionModel())  # one selection for both views
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.delegate = TileDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setUniformItemSizes(True)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSpacing(0)
        self.setMouseTracking(True)  # the hovered tile is shaded
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.doubleClicked.connect(lambda index: table.open_row(index.row()))
        self._fit_tiles()

    def _fit_tiles(self) -> None:
        """As many whole tiles as fit across, sharing out the width that is left."""
        line = self.fontMetrics().height()
        height = PICTURE + 3 * PADDING + 2 * line
        # QListView wraps a row of tiles early by the width of a vertical scroll bar, shown or
        # not: leave it out, or the last column wraps and leaves its width empty.
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        available = max(self.viewport().width() - scroll_bar - 1, MIN_TILE_WIDTH)
        columns = max(1, available // MIN_TILE_WIDTH)
        size = QSize(available // columns, height)
        if size != self.gridSize():
            self.delegate.tile = size
            self.setGridSize(size)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_tiles()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_context_menu_key(event):
            self._table.context_menu_for_current(self)
        elif not self._table.preview_on_space(event):
            super().keyPressEvent(event)

    def _context_menu(self, where: QPoint) -> None:
        index = self.indexAt(where)
        if index.isValid():
            self._table.show_context_menu(index.row(), self, where)
