"""Run > Evaluation…: how the table's rows of known truth score, and which ones are wrong.

The numbers are `edgeclass evaluate`'s `Evaluation`, built from the table's rows: the best label,
no threshold. The truth of each row comes from desktop/truths.py. Everything here is read-only;
double-clicking a mistake selects that photo in the window (`mistakeChosen`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from edgeclass.desktop.results_model import ResultsModel, format_confidence
from edgeclass.runtime.evaluation import Evaluation, Prediction
from edgeclass.runtime.names import display_path


def table_evaluation(model: ResultsModel, labels: Sequence[str], root: str) -> Evaluation:
    """The evaluation of the rows whose truth is known, in the table's order."""
    predictions = []
    for result in model.results():
        truth = model.truth_of(result.path)
        if truth is None:
            continue
        best = result.top_k[0] if result.ok and result.top_k else (None, None)
        predictions.append(
            Prediction(result.path, truth, result.status, best[0], best[1], result.message)
        )
    return Evaluation(root, tuple(labels), tuple(predictions))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _count(value: float | int | None) -> str:
    return "–" if value is None else f"{int(value):,}"


def headline(evaluation: Evaluation) -> str:
    scored = evaluation.scored
    correct = sum(p.correct for p in scored)
    text = f"Accuracy {_percent(evaluation.accuracy)}: {correct:,} of {len(scored):,} right"
    if evaluation.failures:
        text += f" ({len(evaluation.failures):,} could not be read)"
    return text


def _read_only_table(rows: int, columns: int, parent: QWidget) -> QTableWidget:
    table = QTableWidget(rows, columns, parent)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def _fill(
    table: QTableWidget, row: int, cells: Sequence[str], numbers_from: int
) -> list[QTableWidgetItem]:
    items = []
    for column, text in enumerate(cells):
        item = QTableWidgetItem(text)
        if column >= numbers_from:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, column, item)
        items.append(item)
    return items


class EvaluationDialog(QDialog):
    mistakeChosen = Signal(str)  # the path of a mistake double-clicked in the list

    def __init__(self, evaluation: Evaluation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Evaluation")
        self.evaluation = evaluation
        self.headline = QLabel(headline(evaluation), self)
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.per_class = self._per_class_table()
        self.confusion = self._confusion_table()
        self.mistakes = self._mistakes_table()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(QLabel("Per label", self))
        layout.addWidget(self.per_class)
        layout.addWidget(QLabel("Confusion (rows: truth, columns: predicted)", self))
        layout.addWidget(self.confusion)
        wrong = len(evaluation.mistakes)
        title = (
            f"Mistakes: {wrong:,}, the most confident first (double-click one to select it)"
            if wrong
            else "No mistakes"
        )
        layout.addWidget(QLabel(title, self))
        layout.addWidget(self.mistakes, 1)
        layout.addWidget(buttons)
        self.resize(640, 600)

    def _per_class_table(self) -> QTableWidget:
        rows = self.evaluation.per_class()
        table = _read_only_table(len(rows), 4, self)
        table.setHorizontalHeaderLabels(["Photos", "Right", "Recall", "Precision"])
        table.setVerticalHeaderLabels(list(rows))
        for row, numbers in enumerate(rows.values()):
            cells = [
                _count(numbers["images"]),
                _count(numbers["correct"]),
                _percent(numbers["recall"]),
                _percent(numbers["precision"]),
            ]
            _fill(table, row, cells, numbers_from=0)
        _fit_height(table)
        return table

    def _confusion_table(self) -> QTableWidget:
        labels = list(self.evaluation.labels)
        matrix = self.evaluation.confusion.tolist()
        table = _read_only_table(len(labels), len(labels), self)
        table.setHorizontalHeaderLabels(labels)
        table.setVerticalHeaderLabels(labels)
        for row, counts in enumerate(matrix):
            _fill(table, row, [f"{count:,}" for count in counts], numbers_from=0)
        _fit_height(table)
        return table

    def _mistakes_table(self) -> QTableWidget:
        mistakes = self.evaluation.mistakes
        table = _read_only_table(len(mistakes), 4, self)
        table.setHorizontalHeaderLabels(["File", "Truth", "Predicted", "Confidence"])
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for row, mistake in enumerate(mistakes):
            name = display_path(os.path.basename(mistake.path))
            cells = [name, mistake.truth, str(mistake.label), format_confidence(mistake.score)]
            name_item = _fill(table, row, cells, numbers_from=3)[0]
            name_item.setToolTip(display_path(mistake.path))
        table.cellDoubleClicked.connect(self._mistake_double_clicked)
        return table

    def _mistake_double_clicked(self, row: int, _column: int) -> None:
        self.mistakeChosen.emit(self.evaluation.mistakes[row].path)


def _fit_height(table: QTableWidget) -> None:
    """A short table of numbers: its columns share the width, all its rows show without a
    scroll bar (as far as 8 rows), and it takes no keyboard focus (nothing to do in it)."""
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.resizeRowsToContents()
    rows = min(table.rowCount(), 8)
    height = table.horizontalHeader().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(row) for row in range(rows))
    table.setMaximumHeight(height)
    table.setMinimumHeight(height)
