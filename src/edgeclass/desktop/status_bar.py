"""The status bar: a one-line summary of the table, what the last run did (it stays until the
next run starts), and the progress bar and Cancel of a run. Text that does not fit ends with
"…" after a whole word, never in the middle of one; its tooltip holds all of it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtWidgets import QProgressBar, QPushButton, QStatusBar, QWidget

from edgeclass.desktop.elided_label import ElidedLabel
from edgeclass.desktop.run_controller import RunController
from edgeclass.desktop.worker import CANCELLED
from edgeclass.runtime.tally import StatusTally

SEPARATOR = "   ·   "


class RunStatusBar(QStatusBar):
    def __init__(self, on_cancel: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary_label = ElidedLabel(self)
        self.addWidget(self.summary_label)
        self.run_label = ElidedLabel(self)
        self.addWidget(self.run_label, 1)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setMaximumWidth(240)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%v / %m")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop classifying (Esc)")
        self.cancel_button.clicked.connect(on_cancel)
        self.addPermanentWidget(self.progress_bar)
        self.addPermanentWidget(self.cancel_button)
        self.last_run_summary = ""

    def follow(self, runs: RunController) -> None:
        """Progress while `runs` works; at the end, what it did (`last_run_summary`)."""
        self._runs = runs
        runs.runStarted.connect(self.start_scanning)
        runs.runStarted.connect(lambda: self.set_run_summary(""))
        runs.progress.connect(self.set_progress)
        runs.runFinished.connect(self._run_finished)

    def _run_finished(self, outcome: str) -> None:
        runs = self._runs
        self.last_run_summary = run_summary(
            outcome == CANCELLED,
            runs.tally,
            runs.last_run_seconds,
            runs.already_there,
            runs.retried,
        )
        self.set_run_summary(self.last_run_summary)

    def set_run_summary(self, text: str) -> None:
        self.run_label.setText(f"{SEPARATOR.lstrip()}Last run: {text}" if text else "")

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


def table_summary(model_name: str | None, counts: Mapping[str, int], total: int, shown: int) -> str:
    """`Model: m · 1,000 file(s): cat 477, dog 400 · 4 could not be read · showing 477 of 1,000`."""
    model = f"Model: {model_name}" if model_name is not None else "No model loaded"
    if not total:
        return model
    text = f"{model}{SEPARATOR}{total:,} file(s)"
    if counts:
        text += ": " + ", ".join(f"{label} {n:,}" for label, n in sorted(counts.items()))
    problems = total - sum(counts.values())
    if problems:
        text += f"{SEPARATOR}{problems:,} could not be read"
    if shown != total:
        text += f"{SEPARATOR}showing {shown:,} of {total:,}"
    return text


def run_summary(
    cancelled: bool, tally: StatusTally, seconds: float, already_there: int, retried: int
) -> str:
    """The end of a run: what was classified, failed or skipped and why, what was there."""
    text = f"{'Cancelled: ' if cancelled else ''}{', '.join(tally.parts())} in {seconds:.1f} s"
    notes = []
    if already_there:
        notes.append(f"{already_there:,} already classified")
    if retried:
        notes.append(f"{retried:,} retried")
    return text + (SEPARATOR + ", ".join(notes) if notes else "")
