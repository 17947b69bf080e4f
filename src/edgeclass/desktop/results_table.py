"""The results table: a QTableView over the filter proxy, set up for photos.

By hand: double-click opens the photo in the system's viewer (`openFailed` when nothing can),
the context menu (right-click, the Menu key or Shift+F10) previews or opens it, shows its folder
or copies its path, Space asks for a large preview (`previewRequested`). The selected row stays
in view while rows stream in; a new sort or filter starts at the top.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon, QImage, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListView,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from edgeclass.desktop.elided_label import elide_at_word
from edgeclass.desktop.results_model import (
    CONFIDENCE,
    FOLDER,
    LABEL,
    MESSAGE,
    NAME,
    STATUS,
    THUMBNAIL,
    TRUTH,
    ResultRole,
)
from edgeclass.runtime.results import ClassificationResult

_Index = QModelIndex | QPersistentModelIndex
# At the window's default size every column fits beside the detail pane (a sideways scroll
# would cut the last one's text at the edge); Message takes what is left and ends at a word.
COLUMN_WIDTHS = {
    THUMBNAIL: 60,
    NAME: 150,
    FOLDER: 100,
    LABEL: 85,
    TRUTH: 85,
    CONFIDENCE: 90,
    STATUS: 95,
    MESSAGE: 90,
}
ROW_HEIGHT = 54
ICON_SIZE = 48


def is_context_menu_key(event: QKeyEvent) -> bool:
    """The Menu key, or Shift+F10 (the keyboard's right-click on Windows and Linux desktops)."""
    shift_f10 = event.key() == Qt.Key.Key_F10 and (
        event.modifiers() & Qt.KeyboardModifier.ShiftModifier
    )
    return event.key() == Qt.Key.Key_Menu or bool(shift_f10)


class WordElideDelegate(QStyledItemDelegate):
    """Cells of sentences (a failed file's message) end with "…" after a whole word; the
    tooltip holds all of it. (File names keep the view's middle elision.)"""

    def initStyleOption(self, option: QStyleOptionViewItem, index: _Index) -> None:
        super().initStyleOption(option, index)
        margin = 8  # the style's text margins on both sides, with room to spare
        option.text = elide_at_word(option.text, option.fontMetrics, option.rect.width() - margin)
        option.textElideMode = Qt.TextElideMode.ElideNone


class ResultsTable(QTableView):
    previewRequested = Signal(str)  # the path of the photo to show large
    openFailed = Signal(str)  # the path no program on this computer would open

    def __init__(self, proxy: QSortFilterProxyModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(proxy)
        self._current_was_visible = False
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
        self.setColumnHidden(TRUTH, True)  # shown when the photos come from labelled folders
        self.sentence_delegate = WordElideDelegate(self)
        self.setItemDelegateForColumn(MESSAGE, self.sentence_delegate)
        header.sortIndicatorChanged.connect(self.scrollToTop)
        proxy.rowsAboutToBeInserted.connect(self._remember_current_visible)
        proxy.layoutAboutToBeChanged.connect(self._remember_current_visible)
        proxy.rowsInserted.connect(self._keep_current_visible)
        proxy.layoutChanged.connect(self._keep_current_visible)
        self.doubleClicked.connect(lambda index: self.open_row(index.row()))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)

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

    def shown_results(self, selected_only: bool = False) -> list[ClassificationResult]:
        """The rows as shown (filtered, in the order shown); the selected ones if asked."""
        rows = self.selected_rows() if selected_only else range(self.model().rowCount())
        return [self.result_at_row(row) for row in rows]

    def current_path(self) -> str | None:
        current = self.currentIndex()
        return self.result_at_row(current.row()).path if current.isValid() else None

    def select_path(self, path: str) -> bool:
        """Make the row of `path` the current one; False when no row shown has it."""
        for row in range(self.model().rowCount()):
            if self.result_at_row(row).path == path:
                self.selectRow(row)
                self.scrollTo(self.model().index(row, NAME))
                return True
        return False

    def open_row(self, row: int) -> None:
        path = self.result_at_row(row).path
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
            self.openFailed.emit(path)

    def show_row_in_folder(self, row: int) -> None:
        folder = Path(self.result_at_row(row).path).parent
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def copy_row_path(self, row: int) -> None:
        QGuiApplication.clipboard().setText(self.result_at_row(row).path)

    def preview_on_space(self, event: QKeyEvent) -> bool:
        """Space asks for the current photo, large; True when the key was used."""
        path = self.current_path()
        if event.key() != Qt.Key.Key_Space or path is None:
            return False
        self.previewRequested.emit(path)
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_context_menu_key(event):
            self.context_menu_for_current(self)
        elif not self.preview_on_space(event):
            super().keyPressEvent(event)

    def context_menu_for_current(self, view: QAbstractItemView) -> None:
        """The context menu of the current row, below its cell in `view` (table or grid)."""
        current = view.currentIndex()
        if isinstance(view, QListView):  # the grid shows one column of the rows
            current = current.siblingAtColumn(view.modelColumn())
        if current.isValid():
            self.show_context_menu(current.row(), view, view.visualRect(current).center())

    def _context_menu(self, where: QPoint) -> None:
        index = self.indexAt(where)
        if index.isValid():
            self.show_context_menu(index.row(), self, where)

    def show_context_menu(self, row: int, view: QAbstractItemView, where: QPoint) -> None:
        """The menu of one row at `where` in `view`'s viewport."""
        menu = QMenu(self)
        path = self.result_at_row(row).path
        menu.addAction("Preview\tSpace", lambda: self.previewRequested.emit(path))
        menu.addAction("Open", lambda: self.open_row(row))
        menu.addAction("Show in Folder", lambda: self.show_row_in_folder(row))
        menu.addAction("Copy Path", lambda: self.copy_row_path(row))
        menu.popup(view.viewport().mapToGlobal(where))
        self.context_menu = menu  # kept for tests and so it outlives this call

    def _remember_current_visible(self) -> None:
        current = self.currentIndex()
        self._current_was_visible = current.isValid() and self.viewport().rect().intersects(
            self.visualRect(current)
        )

    def _keep_current_visible(self, *_args: object) -> None:
        """Rows streaming into a sorted table push the selected one about: follow it."""
        current = self.currentIndex()
        if self._current_was_visible and current.isValid():
            self.updateGeometries()  # the scroll range must include the new rows first
            self.scrollTo(current, QAbstractItemView.ScrollHint.EnsureVisible)
