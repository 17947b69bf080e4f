"""The results area: the table beside the detail pane, which follows the table's current row,
and the large preview that Space opens."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QSplitter, QWidget

from edgeclass.desktop.detail_pane import DetailPane
from edgeclass.desktop.preview_dialog import PreviewDialog
from edgeclass.desktop.results_model import ResultRole
from edgeclass.desktop.results_table import ResultsTable


class ResultsView(QSplitter):
    def __init__(self, proxy: QSortFilterProxyModel, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("ResultsSplitter")
        self.table = ResultsTable(proxy, self)
        self.detail_pane = DetailPane(self)
        self.addWidget(self.table)
        self.addWidget(self.detail_pane)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)
        self.setChildrenCollapsible(False)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.preview_dialog = PreviewDialog(self)  # Space: the photo, large
        self.table.previewRequested.connect(self.preview_dialog.show_photo)

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
