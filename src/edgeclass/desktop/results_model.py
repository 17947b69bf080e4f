"""The results table: a Qt model over plain `ClassificationResult` objects, and its filter.

The model keeps its rows in the order shown: sorting happens here, on keys computed once per row
(desktop/row_order.py), not in the proxy, which would call `data()` from Python for both rows of
every comparison. The proxy only filters.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPixmap

from edgeclass.desktop.folder_names import FolderNames
from edgeclass.desktop.row_order import insert_position, sorted_rows
from edgeclass.runtime.names import display_path
from edgeclass.runtime.results import UNKNOWN_LABEL, ClassificationResult, Status

# Columns, in display order.
THUMBNAIL, NAME, FOLDER, LABEL, TRUTH, CONFIDENCE, STATUS, MESSAGE = range(8)
HEADERS = ("", "File", "Folder", "Label", "Truth", "Confidence", "Status", "Message")

# A role beyond Qt's own: the result object itself.
ResultRole = Qt.ItemDataRole.UserRole + 1

# The label filter's special entries (real labels are plain strings).
ALL_LABELS = ""
PROBLEMS = "\0problems"
MISTAKES = "\0mistakes"  # rows whose label differs from the truth of their folder

# Right and wrong are told by a symbol as well as a colour.
RIGHT_MARK, WRONG_MARK = "✓", "✗"
RIGHT_COLOUR = QColor(46, 139, 87)

STATUS_TEXT = {
    Status.OK: "OK",
    Status.NOT_FOUND: "Not found",
    Status.PERMISSION_ERROR: "Permission denied",
    Status.NOT_AN_IMAGE: "Not an image",
    Status.UNREADABLE: "Unreadable",
    Status.TOO_LARGE: "Too large",
    Status.EMPTY_FILE: "Empty file",
    Status.IS_DIRECTORY: "Folder",
}

PROBLEM_COLOUR = QColor(214, 69, 65)  # readable on light and dark backgrounds

_Index = QModelIndex | QPersistentModelIndex


def format_confidence(score: float | None) -> str:
    return "" if score is None else f"{score * 100:.1f}%"


def is_unknown(result: ClassificationResult) -> bool:
    """A readable photo whose best label is under the threshold."""
    return result.ok and result.label == UNKNOWN_LABEL and bool(result.top_k)


def confidence_text(result: ClassificationResult) -> str:
    """The confidence of what the row shows: for `unknown`, which label the number belongs to."""
    if is_unknown(result):
        best, score = result.top_k[0]
        return f"{best} {format_confidence(score)}"
    return format_confidence(result.score)


def below_threshold_note(result: ClassificationResult, threshold: float) -> str:
    best, score = result.top_k[0]
    return (
        f"Below the {threshold * 100:.0f}% threshold: its best guess, “{best}”, "
        f"has {format_confidence(score)}"
    )


class ResultsModel(QAbstractTableModel):
    """Rows are results in arrival order. Thumbnails arrive as QImage (made off the UI thread)
    and become QPixmap (in a QIcon) here, on the UI thread, when a row is first shown."""

    def __init__(self, parent: QObject | None = None, *, threshold: float = 0.0) -> None:
        super().__init__(parent)
        # Rows in the order shown, and beside each its thumbnail, its arrival number and its
        # sort key (for the sort column; the arrival number when unsorted).
        self._results: list[ClassificationResult] = []
        # QImage as it arrived; replaced by a QIcon the first time the row is painted, so
        # rows that are never scrolled into view never cost a pixmap.
        self._thumbnails: list[QImage | QIcon | None] = []
        self._arrivals: list[int] = []
        self._keys: list[Any] = []
        self._next_arrival = 0
        self._sort_column = -1
        self._descending = False
        self._row_of_path: dict[str, int] = {}
        self._row_of_path_stale = False  # rebuilt when next needed, not on every insert
        self.folders = FolderNames()
        self._threshold = threshold
        self._truths: dict[str, str] = {}  # path -> the label its folder says it is
        # Rows per label and per Show entry, kept up to date row by row: counting 10,000 rows
        # on every streamed batch would stall the window.
        self._counts: Counter[str] = Counter()

    # --- Qt model API -------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt default)
        return 0 if parent.isValid() else len(self._results)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == THUMBNAIL:
                return "Thumbnail"
            if role == Qt.ItemDataRole.TextAlignmentRole and section == CONFIDENCE:
                return int(Qt.AlignmentFlag.AlignCenter)
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._results):
            return None
        result = self._results[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == TRUTH:
                return self._truth_text(result)
            return self._display(result, column)
        if role == Qt.ItemDataRole.DecorationRole and column == THUMBNAIL:
            return self.thumbnail_at(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(result, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == CONFIDENCE:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(result, column)
        if (
            role == Qt.ItemDataRole.FontRole
            and column in (LABEL, CONFIDENCE)
            and is_unknown(result)  # not an answer: set apart, never in the "right" green
        ):
            font = QFont()
            font.setItalic(True)
            return font
        if role == ResultRole:
            return result
        return None

    def _tooltip(self, result: ClassificationResult, column: int) -> str | None:
        if column in (NAME, THUMBNAIL):
            return display_path(result.path)
        if column == FOLDER:
            return display_path(os.path.dirname(result.path))
        if not result.ok:  # the whole message, wherever the pointer is on the row
            status = STATUS_TEXT.get(result.status, result.status.value)
            return f"{status}: {result.message}" if result.message else status
        if column in (LABEL, CONFIDENCE) and is_unknown(result):
            return below_threshold_note(result, self._threshold)
        return None

    def _colour(self, result: ClassificationResult, column: int) -> QColor | None:
        if column == STATUS and not result.ok:
            return PROBLEM_COLOUR
        if column not in (LABEL, TRUTH):
            return None
        right = self.is_right(result)
        if right is None or (is_unknown(result) and (right or column == LABEL)):
            return None
        return RIGHT_COLOUR if right else PROBLEM_COLOUR

    # --- editing the rows ---------------------------------------------------------------------

    def append_results(
        self,
        results: Iterable[ClassificationResult],
        thumbnails: Mapping[str, QImage] | None = None,
    ) -> None:
        """Add a batch (in its place when sorted); a path already in the table is replaced."""
        thumbnails = thumbnails or {}
        fresh: list[tuple[ClassificationResult, QImage | None]] = []
        replaced: list[int] = []
        rows = self._rows_by_path()
        for result in results:
            relabelled = result.with_threshold(self._threshold)
            thumbnail = thumbnails.get(result.path)
            row = rows.get(result.path)
            if row is None:
                fresh.append((relabelled, thumbnail))
                continue
            self._count(self._results[row], -1)
            self._count(relabelled, 1)
            self._results[row] = relabelled
            self._thumbnails[row] = thumbnail
            replaced.append(row)
        if replaced:  # one signal: each one redraws the window's counts
            last_column = len(HEADERS) - 1
            self.dataChanged.emit(
                self.index(min(replaced), 0), self.index(max(replaced), last_column)
            )
            if self._sort_column >= 0:
                self._reorder()  # a new answer may sort elsewhere
        if not fresh:
            return
        if self._sort_column < 0:
            self._append_in_arrival_order(fresh)
        else:
            for result, thumbnail in fresh:
                self._insert_in_place(result, thumbnail)

    def _append_in_arrival_order(
        self, fresh: list[tuple[ClassificationResult, QImage | None]]
    ) -> None:
        first = len(self._results)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for offset, (result, thumbnail) in enumerate(fresh):
            arrival = self._take_arrival()
            self._row_of_path[result.path] = first + offset
            self._results.append(result)
            self._thumbnails.append(thumbnail)
            self._arrivals.append(arrival)
            self._keys.append(arrival)
            self._count(result, 1)
        self.endInsertRows()

    def _insert_in_place(self, result: ClassificationResult, thumbnail: QImage | None) -> None:
        arrival = self._take_arrival()
        key = self._sort_key(result, arrival)
        row = insert_position(self._keys, self._arrivals, key, arrival, self._descending)
        self.beginInsertRows(QModelIndex(), row, row)
        self._results.insert(row, result)
        self._thumbnails.insert(row, thumbnail)
        self._arrivals.insert(row, arrival)
        self._keys.insert(row, key)
        self._row_of_path_stale = True
        self._count(result, 1)
        self.endInsertRows()

    def _take_arrival(self) -> int:
        self._next_arrival += 1
        return self._next_arrival

    def clear(self) -> None:
        """No rows, no truths, no dropped folders; the sort order stays."""
        self.beginResetModel()
        self._results.clear()
        self._thumbnails.clear()
        self._arrivals.clear()
        self._keys.clear()
        self._row_of_path.clear()
        self._row_of_path_stale = False
        self._truths.clear()
        self._counts.clear()
        self.folders.clear()
        self.endResetModel()

    def add_dropped_folders(self, folders: Iterable[str | os.PathLike[str]]) -> None:
        """Folders dropped (or opened): the Folder column tells paths relative to them."""
        self.folders.add_roots(folders)
        if self._results:
            self.dataChanged.emit(self.index(0, FOLDER), self.index(len(self._results) - 1, FOLDER))
            if self._sort_column == FOLDER:
                self._reorder()

    def threshold(self) -> float:
        return self._threshold

    def set_threshold(self, threshold: float) -> None:
        """Relabel every row for a new confidence threshold, without running the model again."""
        if threshold == self._threshold:
            return
        self._threshold = threshold
        if not self._results:
            return
        self._results = [result.with_threshold(threshold) for result in self._results]
        self._recount()
        self.dataChanged.emit(
            self.index(0, LABEL),
            self.index(len(self._results) - 1, CONFIDENCE),
            [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.FontRole],
        )
        if self._sort_column in (LABEL, CONFIDENCE):
            self._reorder()

    def set_truths(self, truths: Mapping[str, str]) -> None:
        """The true label of each path known to have one (from a labelled folder)."""
        self._truths.update(truths)
        self._recount()
        if self._results:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._results) - 1, MESSAGE))
            if self._sort_column == TRUTH:
                self._reorder()

    def truths(self) -> dict[str, str]:
        return dict(self._truths)

    def relocate(self, moves: Mapping[str, str]) -> int:
        """Point rows at the new place of files moved on disk ({old path: new path}; an old
        path may be given absolute where the row holds it relative). Returns rows changed."""
        changed: list[int] = []
        for row, result in enumerate(self._results):
            new = moves.get(result.path) or moves.get(os.path.abspath(result.path))
            if new is None or new == result.path:
                continue
            if result.path in self._truths:
                self._truths[new] = self._truths.pop(result.path)
            self._results[row] = dataclasses.replace(result, path=new)
            changed.append(row)
        if changed:
            self._row_of_path_stale = True
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), MESSAGE))
            if self._sort_column in (NAME, FOLDER):
                self._reorder()
        return len(changed)

    # --- sorting ------------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by `column` (-1: the order they arrived in); rows that arrive later
        go to their place in that order."""
        column = column if 0 <= column < len(HEADERS) else -1
        descending = order == Qt.SortOrder.DescendingOrder
        if (column, descending) == (self._sort_column, self._descending):
            return  # in that order already (every change keeps it); sortByColumn asks twice
        self._sort_column, self._descending = column, descending
        self._reorder()

    def _reorder(self) -> None:
        keys = self._column_keys(self._results, self._arrivals)
        order = sorted_rows(keys, self._arrivals, self._descending)
        self._keys = [keys[row] for row in order]
        if all(row == position for position, row in enumerate(order)):
            return
        self.layoutAboutToBeChanged.emit()
        new_row = [0] * len(order)
        for position, row in enumerate(order):
            new_row[row] = position
        self._results = [self._results[row] for row in order]
        self._thumbnails = [self._thumbnails[row] for row in order]
        self._arrivals = [self._arrivals[row] for row in order]
        self._row_of_path_stale = True
        persistent = self.persistentIndexList()  # the selection and the current row
        moved = [self.index(new_row[index.row()], index.column()) for index in persistent]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _column_keys(
        self, results: list[ClassificationResult], arrivals: list[int]
    ) -> list[str] | list[float] | list[int]:
        """The sort column's key of each row: one list comprehension per column, since a
        method call per row costs more than the key itself at 10,000 rows."""
        column = self._sort_column
        if column == NAME:
            return [_name_key(r.path) for r in results]
        if column == FOLDER:
            folder = self.folders.name
            return [folder(r.path).lower() for r in results]
        if column == LABEL:
            return [r.label or "" for r in results]
        if column == TRUTH:
            return [self._truth_text(r) for r in results]
        if column == CONFIDENCE:
            return [-1.0 if r.score is None else float(r.score) for r in results]
        if column == STATUS:
            return [STATUS_TEXT.get(r.status, r.status.value) for r in results]
        if column == MESSAGE:
            return [r.message for r in results]
        return list(arrivals)

    def _sort_key(self, result: ClassificationResult, arrival: int) -> str | float | int:
        return self._column_keys([result], [arrival])[0]

    def _rows_by_path(self) -> dict[str, int]:
        if self._row_of_path_stale:
            self._row_of_path = {result.path: row for row, result in enumerate(self._results)}
            self._row_of_path_stale = False
        return self._row_of_path

    def truth_of(self, path: str) -> str | None:
        return self._truths.get(path)

    def has_truths(self) -> bool:
        return bool(self._truths)

    def is_right(self, result: ClassificationResult) -> bool | None:
        """None when the truth is unknown or the file has no label; else best label == truth
        (no threshold, as `edgeclass evaluate` has it)."""
        truth = self._truths.get(result.path)
        if truth is None or not result.ok or not result.top_k:
            return None
        return result.top_k[0][0] == truth

    # --- reading ------------------------------------------------------------------------------

    def results(self) -> list[ClassificationResult]:
        return list(self._results)

    def result_at(self, row: int) -> ClassificationResult:
        return self._results[row]

    def thumbnail_at(self, row: int) -> QIcon | None:
        thumbnail = self._thumbnails[row]
        if isinstance(thumbnail, QImage):
            thumbnail = self._thumbnails[row] = _to_icon(thumbnail)
        return thumbnail

    def contains(self, path: str) -> bool:
        return path in self._rows_by_path()

    def label_counts(self) -> Counter[str]:
        """Rows per label (rows with a label only)."""
        special = (ALL_LABELS, PROBLEMS, MISTAKES)
        return Counter({k: n for k, n in self._counts.items() if n > 0 and k not in special})

    def filter_counts(self) -> dict[str, int]:
        """Rows per Show entry: each label, all rows, the problem rows, the mistakes."""
        return {key: count for key, count in self._counts.items() if count > 0}

    def _count(self, result: ClassificationResult, step: int) -> None:
        self._counts[ALL_LABELS] += step
        if not result.ok:
            self._counts[PROBLEMS] += step
        elif result.label is not None:
            self._counts[result.label] += step
        if self.is_right(result) is False:
            self._counts[MISTAKES] += step

    def _recount(self) -> None:
        self._counts.clear()
        for result in self._results:
            self._count(result, 1)

    def labels_present(self) -> list[str]:
        return sorted({r.label for r in self._results if r.label is not None})

    # --- helpers ------------------------------------------------------------------------------

    def _truth_text(self, result: ClassificationResult) -> str:
        truth = self._truths.get(result.path)
        if truth is None:
            return ""
        right = self.is_right(result)
        mark = "" if right is None else (RIGHT_MARK if right else WRONG_MARK) + " "
        return f"{mark}{truth}"

    def _display(self, result: ClassificationResult, column: int) -> str | None:
        if column == NAME:
            return display_path(os.path.basename(result.path))  # Qt drops undecodable bytes
        if column == FOLDER:
            return self.folders.name(result.path)
        if column == LABEL:
            return result.label or ""
        if column == CONFIDENCE:
            return confidence_text(result)
        if column == STATUS:
            return STATUS_TEXT.get(result.status, result.status.value)
        if column == MESSAGE:
            return result.message
        return None


@functools.lru_cache(maxsize=100_000)
def _name_key(path: str) -> str:
    """A file name as sorted: case aside. Cached: a sort at 10,000 rows would otherwise spend
    most of its time taking names apart."""
    return os.path.basename(path).lower()


def _to_icon(image: QImage | None) -> QIcon | None:
    if image is None or image.isNull():
        return None
    pixmap = QPixmap.fromImage(image)
    # Thumbnails are made at twice the displayed size so they stay sharp at 200% scaling.
    pixmap.setDevicePixelRatio(2.0)
    icon = QIcon()
    # The same picture when selected: Qt would otherwise tint it with the highlight colour.
    icon.addPixmap(pixmap, QIcon.Mode.Normal)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)
    return icon


class ResultsFilterProxy(QSortFilterProxyModel):
    """Shows one label, the problem rows, or everything, in the source model's order.

    Sorting is handed to the source model (`ResultsModel.sort`): the proxy's own sort would
    call Python for every comparison."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._label = ALL_LABELS
        self.setDynamicSortFilter(True)  # re-filters rows whose label changed

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        assert isinstance(model, ResultsModel)
        model.sort(column, order)

    def set_label_filter(self, label: str) -> None:
        if label == self._label:
            return
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateRowsFilter is deprecated
            self.beginFilterChange()
            self._label = label
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._label = label
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if self._label == ALL_LABELS:
            return True
        model = self.sourceModel()
        assert isinstance(model, ResultsModel)
        result: ClassificationResult = model.data(
            model.index(source_row, 0, source_parent), ResultRole
        )
        if self._label == PROBLEMS:
            return not result.ok
        if self._label == MISTAKES:
            return model.is_right(result) is False
        return result.ok and result.label == self._label


__all__ = [
    "ALL_LABELS",
    "CONFIDENCE",
    "FOLDER",
    "HEADERS",
    "LABEL",
    "MESSAGE",
    "MISTAKES",
    "NAME",
    "PROBLEMS",
    "STATUS",
    "THUMBNAIL",
    "TRUTH",
    "UNKNOWN_LABEL",
    "ResultRole",
    "ResultsFilterProxy",
    "ResultsModel",
]
