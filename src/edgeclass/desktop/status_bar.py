"""The status bar: a one-line summary of the table, and the progress bar and Cancel of a run."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from edgeclass.runtime.results import ClassificationResult

SEPARATOR = "   ·   "


class RunStatusBar(QStatusBar):
    def __init__(self, on_cancel: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary_label = QLabel(self)
        self.addWidget(self.summary_label, 1)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setMaximumWidth(240)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%v / %m")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop classifying (Esc)")
        self.cancel_button.clicked.connect(on_cancel)
        self.addPermanentWidget(self.progress_bar)
        self.addPermanentWidget(self.cancel_button)

    def set_busy(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)

    def start_scanning(self) -> None:
        self.progress_bar.setRange(0, 0)  # busy until the folders are scanned

    def set_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)

    def set_summary(self, text: str) -> None:
        self.summary_label.setText(text)


def table_summary(model_name: str | None, results: Sequence[ClassificationResult]) -> str:
    """`Model: tiny · 1,000 file(s) · 4 could not be read`."""
    model = f"Model: {model_name}" if model_name is not None else "No model loaded"
    if not results:
        return model
    problems = sum(1 for r in results if not r.ok)
    text = f"{model}{SEPARATOR}{len(results):,} file(s)"
    if problems:
        text += f"{SEPARATOR}{problems:,} could not be read"
    return text
