"""Photos dropped in folders named like the model's labels: their truth, and the evaluation.

The folder rules are `edgeclass evaluate`'s (`runtime.evaluation.scan_labelled_folder`) and the
numbers are its `Evaluation`'s, built from the table's rows: the best label, no threshold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from edgeclass.desktop.results_model import ResultsModel
from edgeclass.errors import DataError
from edgeclass.runtime.evaluation import Evaluation, Prediction
from edgeclass.runtime.labelled_folder import scan_labelled_folder


def truths_in(paths: Iterable[Path], labels: Sequence[str]) -> dict[str, str]:
    """path -> truth for every photo in a dropped folder laid out as `<label>/<photos>`."""
    truths: dict[str, str] = {}
    for folder in paths:
        if not folder.is_dir():
            continue
        try:
            files = scan_labelled_folder(folder, labels)
        except DataError:
            continue  # not a labelled folder: no truth, plain classification
        truths.update({str(item.path): item.truth for item in files})
    return truths


def note_labelled_drop(model: ResultsModel, paths: Sequence[Path], labels: Sequence[str]) -> None:
    """Give the model the truth of the photos in any labelled folder among `paths`."""
    truths = truths_in(paths, labels)
    if truths:
        model.set_truths(truths)


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


class EvaluationDialog(QDialog):
    def __init__(self, evaluation: Evaluation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Evaluation")
        self.evaluation = evaluation
        scored = evaluation.scored
        correct = sum(p.correct for p in scored)
        headline = f"Accuracy {_percent(evaluation.accuracy)}: {correct} of {len(scored)} right"
        if evaluation.failures:
            headline += f" ({len(evaluation.failures)} could not be read)"
        self.headline = QLabel(headline, self)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.per_class = self._per_class_table()
        self.confusion = self._confusion_table()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(QLabel("Per label", self))
        layout.addWidget(self.per_class)
        layout.addWidget(QLabel("Confusion (rows: truth, columns: predicted)", self))
        layout.addWidget(self.confusion)
        layout.addWidget(buttons)
        self.resize(560, 480)

    def _per_class_table(self) -> QTableWidget:
        rows = self.evaluation.per_class()
        table = QTableWidget(len(rows), 4, self)
        table.setHorizontalHeaderLabels(["Photos", "Right", "Recall", "Precision"])
        table.setVerticalHeaderLabels(list(rows))
        for row, numbers in enumerate(rows.values()):
            cells = [
                str(numbers["images"]),
                str(numbers["correct"]),
                _percent(numbers["recall"]),
                _percent(numbers["precision"]),
            ]
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))
        return table

    def _confusion_table(self) -> QTableWidget:
        labels = list(self.evaluation.labels)
        matrix = self.evaluation.confusion.tolist()
        table = QTableWidget(len(labels), len(labels), self)
        table.setHorizontalHeaderLabels(labels)
        table.setVerticalHeaderLabels(labels)
        for row, counts in enumerate(matrix):
            for column, count in enumerate(counts):
                table.setItem(row, column, QTableWidgetItem(str(count)))
        return table
