"""The Show box: all rows, one label, `unknown`, or only the problem rows."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from edgeclass.desktop.results_model import ALL_LABELS, PROBLEMS
from edgeclass.runtime.results import UNKNOWN_LABEL


class LabelFilterBox(QComboBox):
    """`filterChanged(key)`: ALL_LABELS, PROBLEMS or a label, when the user (or code) picks one."""

    filterChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setToolTip("Show only the rows with this label")
        self.currentIndexChanged.connect(self._index_changed)
        self.rebuild([], [])

    def current_key(self) -> str:
        key = self.currentData()
        return key if isinstance(key, str) else ALL_LABELS

    def rebuild(self, model_labels: Iterable[str], present: Iterable[str]) -> None:
        """The model's labels, `unknown`, any other label in the table; the choice is kept."""
        current = self.current_key() if self.count() else ALL_LABELS
        self.blockSignals(True)
        self.clear()
        self.addItem("All labels", ALL_LABELS)
        for label in [*model_labels, UNKNOWN_LABEL, *present]:
            if self.findData(label) < 0:
                self.addItem(label, label)
        self.addItem("Problems only", PROBLEMS)
        self.setCurrentIndex(max(self.findData(current), 0))
        self.blockSignals(False)
        self.filterChanged.emit(self.current_key())

    def add_labels(self, labels: Iterable[str | None]) -> None:
        for label in set(labels):
            if label is not None and self.findData(label) < 0:
                self.insertItem(self.count() - 1, label, label)

    def select(self, key: str) -> None:
        index = self.findData(key)
        if index >= 0:
            self.setCurrentIndex(index)

    def _index_changed(self, index: int) -> None:
        self.filterChanged.emit(self.current_key())
