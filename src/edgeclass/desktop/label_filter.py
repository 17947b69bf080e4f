"""The Show box: all rows, one label, `unknown`, only the problem rows or only the mistakes,
each with its number of rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QComboBox, QMenu, QWidget

from edgeclass.desktop.results_model import ALL_LABELS, MISTAKES, PROBLEMS
from edgeclass.runtime.results import UNKNOWN_LABEL

NAMES = {ALL_LABELS: "All labels", PROBLEMS: "Problems only", MISTAKES: "Mistakes only"}


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
        self.addItem(NAMES[ALL_LABELS], ALL_LABELS)
        for label in [*model_labels, UNKNOWN_LABEL, *present]:
            if self.findData(label) < 0:
                self.addItem(label, label)
        self.addItem(NAMES[PROBLEMS], PROBLEMS)
        self.addItem(NAMES[MISTAKES], MISTAKES)
        self.setCurrentIndex(max(self.findData(current), 0))
        self.blockSignals(False)
        self.filterChanged.emit(self.current_key())

    def add_labels(self, labels: Iterable[str | None]) -> None:
        for label in set(labels):
            if label is not None and self.findData(label) < 0:
                self.insertItem(self.count() - 2, label, label)

    def set_counts(self, counts: Mapping[str, int]) -> None:
        """Each entry's name with its number of rows: `cat (477)`; keys without a count: 0."""
        for index in range(self.count()):
            key = self.itemData(index)
            self.setItemText(index, f"{NAMES.get(key, key)} ({counts.get(key, 0):,})")

    def fill_menu(self, menu: QMenu) -> None:
        """The same choices as a menu (View > Show), the current one checked."""
        menu.clear()
        group = QActionGroup(menu)
        for index in range(self.count()):
            action = menu.addAction(self.itemText(index))
            action.setCheckable(True)
            action.setChecked(index == self.currentIndex())
            action.setData(self.itemData(index))
            action.triggered.connect(partial(self.setCurrentIndex, index))
            group.addAction(action)

    def select(self, key: str) -> None:
        index = self.findData(key)
        if index >= 0:
            self.setCurrentIndex(index)

    def _index_changed(self, index: int) -> None:
        self.filterChanged.emit(self.current_key())
