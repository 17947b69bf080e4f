"""File > Sort into folders: pick DEST, copy/move/link and the threshold, see the preview, sort.

The photos are the results already in the window (nothing is classified again). The preview is
edgeclass.organize's plan (photos per label folder); the sort is its `apply_plan` on a worker
thread, so the journal is on disk before each file is touched and a cancel stops between files.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from edgeclass.desktop.background import CANCELLED, Task, TaskRunner
from edgeclass.organize import (
    Mode,
    SortOutcome,
    SortPlan,
    apply_plan,
    default_journal_path,
    plan_sort,
    split_inputs,
)
from edgeclass.runtime.names import display_path
from edgeclass.runtime.progress import ProgressCallback
from edgeclass.runtime.results import ClassificationResult

PAST_TENSE = {Mode.COPY: "Copied", Mode.MOVE: "Moved", Mode.LINK: "Linked"}
UNDO_HINT = {
    Mode.COPY: "deletes these copies",
    Mode.MOVE: "puts these photos back",
    Mode.LINK: "deletes these links",
}
MODE_TEXT = {
    Mode.COPY: "Copy (the photos stay where they are)",
    Mode.MOVE: "Move",
    Mode.LINK: "Link (shortcuts to the photos where they are)",
}


@dataclass(frozen=True)
class SortRun:
    plan: SortPlan  # as planned on the worker, just before it was applied
    outcome: SortOutcome


def plan_for(results: Sequence[ClassificationResult], dest: Path, threshold: float) -> SortPlan:
    """The plan for the window's results; photos already inside DEST are left alone."""
    keep, inside = split_inputs([Path(r.path) for r in results], dest)
    kept = {str(path) for path in keep}
    return plan_sort(
        [r for r in results if r.path in kept], dest, threshold=threshold, skipped_in_dest=inside
    )


def default_destination(photos: Path) -> Path:
    """`<photos> sorted` beside the photo folder, never inside it: label folders and the
    journal inside would make the folder no longer read as labelled (`<label>/<photos>`) when
    it is opened again. A folder without a parent (a drive's root) gets `sorted` inside."""
    if photos.parent == photos:
        return photos / "sorted"
    return photos.with_name(f"{photos.name} sorted")


class SortDialog(QDialog):
    """`sortEnded(outcome, journal)`: outcome is background's SUCCEEDED/FAILED/CANCELLED and
    journal the journal's path ("" when none was written)."""

    sortEnded = Signal(str, str)
    previewReady = Signal()

    def __init__(
        self,
        results: Sequence[ClassificationResult],
        *,
        threshold: float,
        start_folder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sort into folders")
        self.resize(560, 520)
        self._results = tuple(results)
        self._plan: SortPlan | None = None
        self._task: Task | None = None
        self._preview_task: Task | None = None
        self._journal: Path | None = None
        self.outcome: SortOutcome | None = None
        self.runner = TaskRunner(self)
        self._replan_timer = QTimer(self)
        self._replan_timer.setSingleShot(True)
        self._replan_timer.setInterval(150)
        self._replan_timer.timeout.connect(self.update_preview)
        self._build(threshold, start_folder)
        self.update_preview()

    # --- building -----------------------------------------------------------------------------

    def _build(self, threshold: float, start_folder: str) -> None:
        form = QFormLayout()
        self.dest_edit = QLineEdit(self)
        self.dest_edit.setPlaceholderText("The folder that gets one sub-folder per label")
        if start_folder:
            self.dest_edit.setText(str(default_destination(Path(start_folder))))
        choose = QPushButton("Choose…", self)
        choose.clicked.connect(self._choose_destination)
        row = QHBoxLayout()
        row.addWidget(self.dest_edit, 1)
        row.addWidget(choose)
        form.addRow("Into:", row)

        self.mode_group = QButtonGroup(self)
        modes = QVBoxLayout()
        for index, mode in enumerate(Mode):
            button = QRadioButton(MODE_TEXT[mode], self)
            button.setChecked(mode is Mode.COPY)
            self.mode_group.addButton(button, index)
            modes.addWidget(button)
        form.addRow("How:", modes)

        self.threshold_spin = QSpinBox(self)
        self.threshold_spin.setRange(0, 100)
        self.threshold_spin.setSuffix(" %")
        self.threshold_spin.setValue(round(threshold * 100))
        self.threshold_spin.setToolTip("Photos less sure than this go to the “unknown” folder")
        form.addRow("Threshold:", self.threshold_spin)

        self.preview = QTreeWidget(self)
        self.preview.setHeaderLabels(["Folder", "Photos"])
        self.preview.setRootIsDecorated(False)
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setVisible(False)
        self.failures = QListWidget(self)
        self.failures.setVisible(False)

        self.buttons = QDialogButtonBox(self)
        self.sort_button = self.buttons.addButton("Sort", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.sort_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Preview (nothing is touched until you press Sort):", self))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.failures, 1)
        layout.addWidget(self.buttons)

        self.dest_edit.textChanged.connect(self._replan_timer.start)
        self.threshold_spin.valueChanged.connect(self._replan_timer.start)

    # --- choices ------------------------------------------------------------------------------

    def set_destination(self, folder: str | Path) -> None:
        """Also starts the preview at once (`previewReady` says when it is there)."""
        self.dest_edit.setText(str(folder))
        self.update_preview()

    def set_mode(self, mode: Mode) -> None:
        self.mode_group.button(list(Mode).index(mode)).setChecked(True)

    def mode(self) -> Mode:
        return list(Mode)[max(self.mode_group.checkedId(), 0)]

    def set_threshold(self, threshold: float) -> None:
        self.threshold_spin.setValue(round(threshold * 100))
        self.update_preview()

    def destination(self) -> Path | None:
        text = self.dest_edit.text().strip()
        return Path(os.path.abspath(os.path.expanduser(text))) if text else None

    def _choose_destination(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Sort the photos into", self.dest_edit.text()
        )
        if folder:
            self.set_destination(folder)

    # --- preview ------------------------------------------------------------------------------

    def plan(self) -> SortPlan | None:
        return self._plan

    def update_preview(self) -> None:
        """Plan again on a worker thread: a thousand photos' names take a while to check."""
        self._replan_timer.stop()
        if self._preview_task is not None:
            self._preview_task.cancel()  # superseded: its plan is ignored
            self._preview_task = None
        dest = self.destination()
        self.preview.clear()
        self._plan = None
        self._update_buttons()
        if dest is None:
            self.summary.setText("Choose the folder to sort into.")
            self.previewReady.emit()
            return
        results, threshold = self._results, self.threshold_spin.value() / 100

        def work(cancel: threading.Event, on_progress: ProgressCallback) -> SortPlan:
            return plan_for(results, dest, threshold)

        task = Task(work)
        task.succeeded.connect(self._preview_planned)
        task.failed.connect(self._preview_failed)
        self._preview_task = task
        self.summary.setText("Working out the preview…")
        self.runner.start(task)

    def _preview_failed(self, message: str) -> None:
        if self.sender() is self._preview_task:
            self._preview_task = None
            self.summary.setText(f"No preview: {message}")
            self.previewReady.emit()

    def _preview_planned(self, plan: SortPlan) -> None:
        if self.sender() is not self._preview_task:
            return
        self._preview_task = None
        self._plan = plan
        for label, count in plan.counts().items():
            item = QTreeWidgetItem([label, f"{count:,}"])
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            self.preview.addTopLevelItem(item)
        self.preview.resizeColumnToContents(0)
        self.summary.setText(_preview_text(plan))
        self._update_buttons()
        self.previewReady.emit()

    def _update_buttons(self) -> None:
        running = self._task is not None
        self.sort_button.setEnabled(
            not running and self._plan is not None and bool(self._plan.files)
        )
        self.close_button.setText("Cancel" if running else "Close")
        for widget in (self.dest_edit, self.threshold_spin):
            widget.setEnabled(not running)
        for button in self.mode_group.buttons():
            button.setEnabled(not running)

    # --- sorting ------------------------------------------------------------------------------

    def prepare_task(self) -> Task:
        """The sort, not started yet (tests connect to it first). It plans again on the
        worker (a name may have been taken since the preview), then applies the plan."""
        previewed = self._plan
        if previewed is None or not previewed.files:
            raise ValueError("nothing to sort")
        results, dest, threshold = self._results, previewed.dest, previewed.threshold
        mode = self.mode()
        journal = default_journal_path(dest)
        self._journal = journal

        def work(cancel: threading.Event, on_progress: ProgressCallback) -> SortRun:
            plan = plan_for(results, dest, threshold)
            outcome = apply_plan(plan, mode, journal, cancel=cancel, on_progress=on_progress)
            return SortRun(plan, outcome)

        task = Task(work)
        task.progress.connect(self._on_progress)
        task.succeeded.connect(self._on_sorted)
        task.failed.connect(self._on_failed)
        task.ended.connect(self._on_ended)
        return task

    def run_task(self, task: Task) -> None:
        self._task = task
        self.outcome = None
        self.failures.clear()
        self.failures.setVisible(False)
        self.progress.setRange(0, len(self._plan.files) if self._plan else 0)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.summary.setText("Sorting…")
        self._update_buttons()
        self.runner.start(task)

    def start(self) -> None:
        if self._task is None and self._plan is not None and self._plan.files:
            self.run_task(self.prepare_task())

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.summary.setText("Stopping after the current photo…")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_sorted(self, run: SortRun) -> None:
        self._plan, self.outcome = run.plan, run.outcome

    def _on_failed(self, message: str) -> None:
        self.summary.setText(f"The sort stopped: {message}")

    def _on_ended(self, how: str) -> None:
        self._task = None
        outcome, plan = self.outcome, self._plan
        if outcome is not None and plan is not None:
            self.summary.setText(_outcome_text(plan, outcome))
            rows = [
                f"{display_path(str(planned.source))}: {message}"
                for planned, message in outcome.failed
            ]
            rows += [
                f"{display_path(r.path)}: {r.message or r.status.value}" for r in plan.failures
            ]
            self.failures.addItems(rows)
            self.failures.setVisible(bool(rows))
            if outcome.cancelled:
                how = CANCELLED
        journal = self._journal if self._journal is not None and self._journal.exists() else None
        self._update_buttons()
        self.sort_button.setEnabled(False)  # one sort per dialog: its plan is used up
        self.sortEnded.emit(how, str(journal or ""))

    def reject(self) -> None:
        """Close; while sorting (Cancel, Esc, the window's close button): stop after the current
        photo and stay open, so the summary says how far the sort got."""
        if self._task is not None:
            self.cancel()
            return
        super().reject()

    def done(self, result: int) -> None:
        # The sort's thread may still be winding down after `sortEnded`: a dialog deleted on
        # close must not take a running QThread with it.
        self.runner.wait_all()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._task is not None:
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)


def _preview_text(plan: SortPlan) -> str:
    lines = [f"{len(plan.files):,} photo(s) into {display_path(str(plan.dest))}."]
    if plan.failures:
        lines.append(f"{len(plan.failures):,} could not be read and stay where they are.")
    if plan.skipped_in_dest:
        lines.append(
            f"{len(plan.skipped_in_dest):,} are already inside that folder and stay there."
        )
    return "\n".join(lines)


def _outcome_text(plan: SortPlan, outcome: SortOutcome) -> str:
    verb = PAST_TENSE[outcome.mode]
    text = f"{verb} {len(outcome.placed):,} of {len(plan.files):,} photo(s) into "
    text += f"{display_path(str(plan.dest))}"
    text += ", then cancelled: the rest stay where they are." if outcome.cancelled else "."
    if outcome.failed:
        text += f" {len(outcome.failed):,} could not be {verb.lower()} (listed below)."
    if outcome.placed:
        text += f" Edit > Undo Sort {UNDO_HINT[outcome.mode]}."
    return text
