"""The results table: a Qt model over plain `ClassificationResult` objects, and its filter."""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap

from edgeclass.runtime.names import display_path
from edgeclass.runtime.results import UNKNOWN_LABEL, ClassificationResult, Status

# Columns, in display order.
THUMBNAIL, NAME, FOLDER, LABEL, TRUTH, CONFIDENCE, STATUS, MESSAGE = range(8)
HEADERS = ("", "File", "Folder", "Label", "Truth", "Confidence", "Status", "Message")

# Roles beyond Qt's own: the result object itself, and a key that sorts sensibly per column.
ResultRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2

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


class ResultsModel(QAbstractTableModel):
    """Rows are results in arrival order. Thumbnails arrive as QImage (made off the UI thread)
    and become QPixmap (in a QIcon) here, on the UI thread, when a row is first shown."""

    def __init__(self, parent: QObject | None = None, *, threshold: float = 0.0) -> None:
        super().__init__(parent)
        self._results: list[ClassificationResult] = []
        # QImage as it arrived; replaced by a QIcon the first time the row is painted, so
        # rows that are never scrolled into view never cost a pixmap.
        self._thumbnails: list[QImage | QIcon | None] = []
        self._row_of_path: dict[str, int] = {}
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
            if column in (NAME, THUMBNAIL):
                return display_path(result.path)
            if column == FOLDER:
                return display_path(str(Path(result.path).parent))
            if not result.ok:  # the whole message, wherever the pointer is on the row
                status = STATUS_TEXT.get(result.status, result.status.value)
                return f"{status}: {result.message}" if result.message else status
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == CONFIDENCE:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            right = self.is_right(result) if column in (LABEL, TRUTH) else None
            if column == STATUS and not result.ok:
                return PROBLEM_COLOUR
            if right is not None:
                return RIGHT_COLOUR if right else PROBLEM_COLOUR
        if role == ResultRole:
            return result
        if role == SortRole:
            if column == TRUTH:
                return self._truth_text(result)
            return self._sort_key(result, column, index.row())
        return None

    # --- editing the rows ---------------------------------------------------------------------

    def append_results(
        self,
        results: Iterable[ClassificationResult],
        thumbnails: Mapping[str, QImage] | None = None,
    ) -> None:
        """Add a batch at the end; a path already in the table is replaced in place."""
        thumbnails = thumbnails or {}
        fresh: list[tuple[ClassificationResult, QImage | None]] = []
        replaced: list[int] = []
        for result in results:
            relabelled = result.with_threshold(self._threshold)
            thumbnail = thumbnails.get(result.path)
            row = self._row_of_path.get(result.path)
            if row is None:
                fresh.append((relabelled, thumbnail))
                continue
            self._count(self._results[row], -1)
            self._count(relabelled, 1)
            self._results[row] = relabelled
            self._thumbnails[row] = thumbnail
            replaced.append(row)
        if replaced:  # one signal: each one redraws the window's counts and re-sorts the proxy
            last_column = len(HEADERS) - 1
            self.dataChanged.emit(
                self.index(min(replaced), 0), self.index(max(replaced), last_column)
            )
        if not fresh:
            return
        first = len(self._results)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for offset, (result, thumbnail) in enumerate(fresh):
            self._row_of_path[result.path] = first + offset
            self._results.append(result)
            self._count(result, 1)
            self._thumbnails.append(thumbnail)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._results.clear()
        self._thumbnails.clear()
        self._row_of_path.clear()
        self._truths.clear()
        self._counts.clear()
        self.endResetModel()

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
            self.index(len(self._results) - 1, LABEL),
            [Qt.ItemDataRole.DisplayRole, SortRole],
        )

    def set_truths(self, truths: Mapping[str, str]) -> None:
        """The true label of each path known to have one (from a labelled folder)."""
        self._truths.update(truths)
        self._recount()
        if self._results:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._results) - 1, MESSAGE))

    def relocate(self, moves: Mapping[str, str]) -> int:
        """Point rows at the new place of files moved on disk ({old path: new path}; an old
        path may be given absolute where the row holds it relative). Returns rows changed."""
        changed: list[int] = []
        for row, result in enumerate(self._results):
            new = moves.get(result.path) or moves.get(os.path.abspath(result.path))
            if new is None or new == result.path:
                continue
            del self._row_of_path[result.path]
            self._row_of_path[new] = row
            if result.path in self._truths:
                self._truths[new] = self._truths.pop(result.path)
            self._results[row] = dataclasses.replace(result, path=new)
            changed.append(row)
        if changed:
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), MESSAGE))
        return len(changed)

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
        return path in self._row_of_path

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

    @staticmethod
    def _display(result: ClassificationResult, column: int) -> str | None:
        if column == NAME:
            return display_path(Path(result.path).name)  # Qt would drop undecodable bytes
        if column == FOLDER:
            return display_path(Path(result.path).parent.name)
        if column == LABEL:
            return result.label or ""
        if column == CONFIDENCE:
            return format_confidence(result.score)
        if column == STATUS:
            return STATUS_TEXT.get(result.status, result.status.value)
        if column == MESSAGE:
            return result.message
        return None

    @staticmethod
    def _sort_key(result: ClassificationResult, column: int, row: int) -> str | float | int:
        if column == NAME:
            return Path(result.path).name.lower()
        if column == FOLDER:
            return str(Path(result.path).parent).lower()
        if column == LABEL:
            return result.label or ""
        if column == CONFIDENCE:
            return -1.0 if result.score is None else float(result.score)
        if column == STATUS:
            return result.status.value
        if column == MESSAGE:
            return result.message
        return row


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
    """Sorts by `SortRole` and shows one label, the problem rows, or everything."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._label = ALL_LABELS
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

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
    "SortRole",
]
