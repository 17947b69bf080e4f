"""The results table: a QTableView over the filter proxy, set up for photos."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QSize, QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon, QImage
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from edgeclass.desktop.results_model import (
    CONFIDENCE,
    LABEL,
    MESSAGE,
    NAME,
    STATUS,
    THUMBNAIL,
    ResultRole,
)
from edgeclass.runtime.results import ClassificationResult

COLUMN_WIDTHS = {THUMBNAIL: 60, NAME: 200, LABEL: 100, CONFIDENCE: 95, STATUS: 110, MESSAGE: 160}
ROW_HEIGHT = 54
ICON_SIZE = 48


class ResultsTable(QTableView):
    def __init__(self, proxy: QSortFilterProxyModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(proxy)
        # Unsorted (arrival order) until a header is clicked.
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setShowGrid(False)
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        # Fixed row heights: the view never asks every row for a size hint.
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(THUMBNAIL, QHeaderView.ResizeMode.Fixed)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)

    def selected_rows(self) -> list[int]:
        """The selected rows in view order (proxy rows)."""
        return sorted({index.row() for index in self.selectionModel().selectedRows()})

    def result_at_row(self, row: int) -> ClassificationResult:
        result: ClassificationResult = self.model().index(row, 0).data(ResultRole)
        return result

    def thumbnail_image(self, row: int) -> QImage | None:
        icon = self.model().index(row, THUMBNAIL).data(Qt.ItemDataRole.DecorationRole)
        if not isinstance(icon, QIcon):
            return None
        return icon.pixmap(QSize(ICON_SIZE, ICON_SIZE), 2.0).toImage()

    def select_first_row_if_none(self) -> None:
        """While rows stream in, the first one is shown in the detail pane until the user picks."""
        if not self.currentIndex().isValid() and self.model().rowCount():
            self.selectionModel().setCurrentIndex(
                self.model().index(0, NAME),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
