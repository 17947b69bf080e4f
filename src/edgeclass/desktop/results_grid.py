"""The grid: the same rows as the table (same filter, sort and selection), as thumbnails."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from edgeclass.desktop.results_model import THUMBNAIL
from edgeclass.desktop.results_table import ResultsTable
from edgeclass.desktop.thumbnails import THUMBNAIL_SIZE

CELL = THUMBNAIL_SIZE + 16


class ResultsGrid(QListView):
    def __init__(self, table: ResultsTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._table = table
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setModel(table.model())
        self.setModelColumn(THUMBNAIL)  # its picture; the name is in the tooltip
        self.setSelectionModel(table.selectionModel())  # one selection for both views
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self.setGridSize(QSize(CELL, CELL))
        self.setUniformItemSizes(True)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.doubleClicked.connect(lambda index: table.open_row(index.row()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._table.preview_on_space(event):
            super().keyPressEvent(event)
