"""The results area: the table (or the grid of thumbnails) beside the detail pane, which
follows the current row, and the large preview that Space opens (its arrow keys move the
current row, so the preview, the table and the detail pane go through the photos together)."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QSplitter, QStackedWidget, QWidget

from edgeclass.desktop.detail_pane import DetailPane
from edgeclass.desktop.preview_dialog import PreviewDialog
from edgeclass.desktop.results_grid import ResultsGrid
from edgeclass.desktop.results_model import (
    CONFIDENCE,
    LABEL,
    NAME,
    STATUS,
    THUMBNAIL,
    TRUTH,
    ResultRole,
)
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
        self.table.previewRequested.connect(self._preview)
        self.preview_dialog.stepRequested.connect(self._preview_step)
        # A button that disables itself hands the keyboard back to the photos.
        self.detail_pane.heatmap.focus_home = self.focus_results

    def show_grid(self, grid: bool) -> None:
        """Thumbnails in a grid, or the table; the selection is the same in both."""
        shown = self.grid if grid else self.table
        self.views.setCurrentWidget(shown)
        shown.setFocus()
        self._scroll_to_current()

    def _scroll_to_current(self) -> None:
        current = self.table.currentIndex()
        if not current.isValid():
            return
        if self.views.currentWidget() is self.grid:
            self.grid.scrollTo(current.siblingAtColumn(THUMBNAIL))
        else:
            self.table.scrollTo(current)

    def focus_results(self) -> None:
        """The keyboard to the table or the grid, whichever is shown."""
        shown = self.views.currentWidget()
        if shown is not None:
            shown.setFocus()

    def caption(self, row: int) -> tuple[str, str]:
        """What the preview says under a photo: the answer (`cat 97.1%  ·  ✓ truth: cat`)
        and where it is (`cat-02.jpg  ·  3 of 16`)."""
        model = self.table.model()

        def cell(column: int) -> str:
            return str(model.index(row, column).data() or "")

        result = model.index(row, 0).data(ResultRole)
        answer = f"{cell(LABEL)} {cell(CONFIDENCE)}" if result and result.ok else cell(STATUS)
        truth = cell(TRUTH)
        if truth:
            mark, _, label = truth.rpartition(" ")
            answer += "   ·   " + (f"{mark} " if mark else "") + f"truth: {label}"
        return answer, f"{cell(NAME)}   ·   {row + 1:,} of {model.rowCount():,}"

    def _preview(self, path: str) -> None:
        current = self.table.currentIndex()
        answer, where = self.caption(current.row()) if current.isValid() else ("", "")
        self.preview_dialog.show_photo(path, answer, where)

    def _preview_step(self, step: int) -> None:
        """The next (or previous) row becomes current; the preview shows its photo."""
        current = self.table.currentIndex()
        row = current.row() + step if current.isValid() else 0
        if not 0 <= row < self.table.model().rowCount():
            return
        self.table.selectionModel().setCurrentIndex(
            self.table.model().index(row, NAME),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self._scroll_to_current()
        self._preview(self.table.result_at_row(row).path)

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
