"""The results area: the table (or the grid of thumbnails) beside the detail pane, which
follows the current row, and the large preview that Space opens."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QSplitter, QStackedWidget, QWidget

from edgeclass.desktop.detail_pane import DetailPane
from edgeclass.desktop.preview_dialog import PreviewDialog
from edgeclass.desktop.results_grid import ResultsGrid
from edgeclass.desktop.results_model import ResultRole
from edgeclass.desktop.results_table import ResultsTable


class ResultsView(QSplitter):
    def __init__(self, proxy: QSortFilterProxyModel, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("ResultsSplitter")
        self.views = QStackedWidget(self)
        self.table = ResultsTable(proxy, self.views)
        self.grid = ResultsGrid(self.table, self.views)
        self.views.addWidget(self.table)
        self.views.addWidget(self.grid)
        self.grid_action = QAction("&Grid of Thumbnails", self)
        self.grid_action.setCheckable(True)
        self.grid_action.setShortcut(QKeySequence("Ctrl+G"))
        self.grid_action.toggled.connect(self.show_grid)
        self.detail_pane = DetailPane(self)
        self.addWidget(self.views)
        self.addWidget(self.detail_pane)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)
        self.setChildrenCollapsible(False)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.preview_dialog = PreviewDialog(self)  # Space: the photo, large
        self.table.previewRequested.connect(self.preview_dialog.show_photo)

    def show_grid(self, grid: bool) -> None:
        """Thumbnails in a grid, or the table; the selection is the same in both."""
        shown = self.grid if grid else self.table
        self.views.setCurrentWidget(shown)
        shown.setFocus()
        if self.table.currentIndex().isValid():
            shown.scrollTo(self.table.currentIndex())

    def refresh_detail(self) -> None:
        """Show the current row again (after a relabel)."""
        current = self.table.currentIndex()
        if current.isValid():
            self._show_detail(current)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail(current)

    def _show_detail(self, index: QModelIndex) -> None:
        if not index.isValid():
            self.detail_pane.show_result(None)
            return
        # The thumbnail fills in (blurry) until the sharp preview is decoded off the UI thread.
        thumbnail = self.table.thumbnail_image(index.row())
        self.detail_pane.show_result(index.data(ResultRole), thumbnail)
