"""File > Sort into folders… and Edit > Undo Sort: the actions the main window puts in its menus.

The last sort's journal is remembered in the settings, so Undo works after a restart too, and
forgotten once an undo has run to its end: Undo is enabled only while there is something to
undo. Undo first says what it will do (how many copies it deletes, photos it moves back) and
asks; then `edgeclass.organize.undo_journal` runs on a worker thread behind a cancellable
progress dialog, and a summary says what was done, also when it was stopped half-way.

Every slot here is a method of this QObject, which lives on the UI thread (and TaskRunner
delivers a Task's signals there in any case: see background.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QProgressDialog, QWidget

from edgeclass.desktop.actions import add_action
from edgeclass.desktop.background import Task, TaskRunner
from edgeclass.desktop.sort_dialog import SortDialog
from edgeclass.organize import (
    JournalError,
    Mode,
    SortOutcome,
    UndoOutcome,
    read_journal,
    undo_journal,
    undo_pending,
)
from edgeclass.runtime.names import display_path
from edgeclass.runtime.progress import ProgressCallback
from edgeclass.runtime.results import ClassificationResult

LAST_JOURNAL_KEY = "sort/last_journal"

# What an undo works on in each kind of sort (one, many), and what happens to them.
UNDO_WORDS = {
    "move": ("photo", "photos", "moved back to where they were"),
    "copy": ("copy", "copies", "deleted (the original photos stay where they are)"),
    "link": ("link", "links", "deleted (the photos stay where they are)"),
}


def _count(number: int, mode: str) -> str:
    one, many, _fate = UNDO_WORDS.get(mode, ("file", "files", ""))
    return f"{number:,} {one if number == 1 else many}"


@dataclass
class _UndoRun:
    task: Task
    journal: Path
    mode: str
    total: int
    outcome: UndoOutcome | None = None
    error: str = ""


class SortCommands(QObject):
    """`undoEnded(summary)`: the undo's one-line summary, once its thread has ended."""

    undoEnded = Signal(str)

    # The progress dialog appears when an undo takes longer than this.
    progress_delay_ms = 300

    def __init__(
        self,
        parent: QWidget,
        settings: QSettings,
        results: Callable[[], Sequence[ClassificationResult]],
        threshold: Callable[[], float],
        start_folder: Callable[[], str],
        relocate: Callable[[Mapping[str, str]], object],
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._settings = settings
        self._results = results
        self._threshold = threshold
        self._start_folder = start_folder
        self._relocate = relocate  # rows follow the files a move or its undo put elsewhere
        self.runner = TaskRunner(self)
        self.dialog: SortDialog | None = None
        self.confirmation: QMessageBox | None = None  # "Undo the sort?", while it is open
        self.undo_progress: QProgressDialog | None = None  # while an undo runs
        self.summary_box: QMessageBox | None = None  # what the last undo did, while open
        self._undo: _UndoRun | None = None
        self._undo_button: QAbstractButton | None = None
        self._pending: tuple[tuple[str, int, int], int] | None = None  # (journal stat, count)
        self.sort_action = add_action(
            parent,
            "&Sort into Folders…",
            self.open_sort_dialog,
            "Ctrl+Shift+S",
            "Copy, move or link the photos into one folder per label",
        )
        self.undo_action = add_action(
            parent,
            "&Undo Sort",
            self.undo_last_sort,
            QKeySequence.StandardKey.Undo,
            "Put the photos of the last sort back where they were",
        )
        self.refresh()

    def last_journal(self) -> Path | None:
        text = str(self._settings.value(LAST_JOURNAL_KEY, "", str))
        return Path(text) if text and Path(text).is_file() else None

    def pending_undo(self) -> int:
        """How many files an undo of the last sort would work on; 0: nothing to undo."""
        journal = self.last_journal()
        if journal is None:
            return 0
        try:
            stat = journal.stat()
        except OSError:
            return 0
        key = (str(journal), stat.st_mtime_ns, stat.st_size)
        if self._pending is None or self._pending[0] != key:  # read once per change
            try:
                count = len(undo_pending(read_journal(journal)))
            except JournalError:
                count = 1  # Undo stays on, and says what is wrong with the journal
            self._pending = (key, count)
        return self._pending[1]

    def refresh(self) -> None:
        """Enable the actions that can do something now."""
        # Not runner.busy(): a thread winds down a moment after its task has ended.
        idle = self._undo is None and self.dialog is None and self.confirmation is None
        self.sort_action.setEnabled(idle)
        self.undo_action.setEnabled(idle and self.pending_undo() > 0)

    def _forget_journal(self) -> None:
        self._settings.remove(LAST_JOURNAL_KEY)
        self._pending = None

    # --- sort ---------------------------------------------------------------------------------

    def open_sort_dialog(self) -> SortDialog | None:
        results = self._results()
        if not any(result.ok for result in results):
            QMessageBox.information(
                self._parent, "Sort into folders", "Classify some photos first, then sort them."
            )
            return None
        dialog = SortDialog(
            results,
            threshold=self._threshold(),
            start_folder=self._start_folder(),
            parent=self._parent,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sortEnded.connect(self._sort_ended)
        dialog.finished.connect(self._dialog_closed)
        self.dialog = dialog
        self.refresh()
        dialog.open()
        return dialog

    @Slot(str, str)
    def _sort_ended(self, _how: str, journal: str) -> None:
        if journal:
            self._settings.setValue(LAST_JOURNAL_KEY, journal)
            self._pending = None
        outcome = self.dialog.outcome if self.dialog is not None else None
        moves = moves_of_sort(outcome, Path(journal) if journal else None)
        if moves:
            self._relocate(moves)
        self.refresh()

    @Slot(int)
    def _dialog_closed(self, _result: int) -> None:
        self.dialog = None
        self.refresh()

    # --- undo ---------------------------------------------------------------------------------

    def undo_last_sort(self) -> QMessageBox | None:
        """Edit > Undo Sort: say what the undo will do and ask; it starts once agreed."""
        if self._undo is not None or self.confirmation is not None:
            return None
        journal = self.last_journal()
        try:
            written = read_journal(journal) if journal is not None else None
        except JournalError as error:
            self._forget_journal()
            self.refresh()
            QMessageBox.warning(self._parent, "Undo sort", f"The sort cannot be undone: {error}")
            return None
        pending = undo_pending(written) if written is not None else []
        if journal is None or written is None or not pending:
            self._forget_journal()
            self.refresh()
            QMessageBox.information(self._parent, "Undo sort", "There is no sort to undo.")
            return None
        fate = UNDO_WORDS.get(written.mode, ("", "", "undone"))[2]
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Undo sort",
            f"Undo the last sort? {_count(len(pending), written.mode)} will be {fate}.",
            QMessageBox.StandardButton.NoButton,
            self._parent,
        )
        box.setInformativeText(
            f"Sorted into {display_path(str(journal.parent))}. Files changed since the sort, "
            "and old names taken again, are left alone and listed."
        )
        self._undo_button = box.addButton("Undo Sort", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)  # Enter after an accidental Ctrl+Z deletes nothing
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._confirmation_answered)
        box.setProperty("journal", str(journal))
        box.setProperty("mode", written.mode)
        box.setProperty("total", len(pending))
        self.confirmation = box
        self.refresh()
        box.open()
        return box

    @Slot(int)
    def _confirmation_answered(self, _result: int) -> None:
        box, self.confirmation = self.confirmation, None
        if box is None:
            return
        agreed = self._undo_button is not None and box.clickedButton() is self._undo_button
        self._undo_button = None
        self.refresh()
        if agreed:
            journal, mode = Path(str(box.property("journal"))), str(box.property("mode"))
            self.start_undo(journal, mode, int(box.property("total")))

    def start_undo(self, journal: Path, mode: str, total: int) -> Task:
        """The undo itself, without asking (Edit > Undo Sort asks first)."""

        def work(cancel: threading.Event, on_progress: ProgressCallback) -> UndoOutcome:
            return undo_journal(journal, cancel=cancel, on_progress=on_progress)

        task = Task(work)
        many = UNDO_WORDS.get(mode, ("", "files", ""))[1]
        label = "Putting the photos back…" if mode == Mode.MOVE.value else f"Deleting the {many}…"
        progress = QProgressDialog(label, "Stop", 0, max(total, 1), self._parent)
        progress.setWindowTitle("Undo sort")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setAutoReset(False)
        progress.setAutoClose(False)
        progress.setMinimumDuration(self.progress_delay_ms)
        progress.setValue(0)
        progress.canceled.connect(self._stop_undo)
        task.progress.connect(self._undo_progressed)
        task.succeeded.connect(self._undo_succeeded)
        task.failed.connect(self._undo_failed)
        task.ended.connect(self._undo_ended)
        self._undo = _UndoRun(task, journal, mode, total)
        self.undo_progress = progress
        self.runner.start(task)
        self.refresh()
        return task

    @Slot()
    def _stop_undo(self) -> None:
        if self._undo is not None:
            self._undo.task.cancel()  # stops after the current file; the summary says where

    @Slot(int, int)
    def _undo_progressed(self, done: int, total: int) -> None:
        if self._undo is not None and total:
            self._undo.total = total
        if self.undo_progress is not None:
            self.undo_progress.setMaximum(max(total, 1))
            self.undo_progress.setValue(done)

    @Slot(object)
    def _undo_succeeded(self, outcome: UndoOutcome) -> None:
        if self._undo is not None:
            self._undo.outcome = outcome

    @Slot(str)
    def _undo_failed(self, message: str) -> None:
        if self._undo is not None:
            self._undo.error = message

    @Slot(str)
    def _undo_ended(self, how: str) -> None:
        run, self._undo = self._undo, None
        progress, self.undo_progress = self.undo_progress, None
        if progress is not None:
            progress.close()  # (emits `canceled`: harmless, the run is over)
            progress.deleteLater()
        if run is None:
            return
        outcome = run.outcome
        if outcome is not None and outcome.mode == Mode.MOVE.value and outcome.restored:
            self._relocate({entry.target: entry.source for entry in outcome.restored})
        if outcome is not None and not outcome.cancelled:
            # Ran to its end: nothing left to undo (what could not be undone is listed).
            self._forget_journal()
        if outcome is not None:
            summary = undo_summary(outcome, run.total)
        else:
            summary = f"Undo failed: {run.error or how}"
        self.refresh()
        self._show_summary(summary, warning=outcome is None or bool(outcome.failed))
        self.undoEnded.emit(summary)

    def _show_summary(self, summary: str, *, warning: bool) -> None:
        if self.summary_box is not None:
            self.summary_box.close()  # the last undo's, still open: one summary at a time
        icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information
        box = QMessageBox(icon, "Undo sort", summary, QMessageBox.StandardButton.Ok, self._parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._summary_closed)
        self.summary_box = box
        box.open()

    @Slot(int)
    def _summary_closed(self, _result: int) -> None:
        self.summary_box = None

    def wait(self) -> None:
        """Cancel and wait for a running sort or undo (the window is closing)."""
        if self.dialog is not None:
            self.dialog.runner.wait_all()
        self.runner.wait_all()


def moves_of_sort(outcome: SortOutcome | None, journal: Path | None) -> dict[str, str]:
    """{old path: new path} of the files a sort moved. A sort stopped by an error returns no
    outcome; then its journal says which moves were done."""
    if outcome is not None:
        if outcome.mode is not Mode.MOVE:
            return {}
        return {str(planned.source): str(final) for planned, final in outcome.placed}
    if journal is None or not journal.is_file():
        return {}
    written = read_journal(journal)
    if written.mode != Mode.MOVE.value:
        return {}
    return {e.source: e.target for e in written.entries.values() if e.last == "done"}


def undo_summary(outcome: UndoOutcome, total: int) -> str:
    """What an undo did, in a sentence or two: also how far a stopped one got."""
    done = len(outcome.restored)
    if outcome.mode == Mode.MOVE.value:
        did, back, again = "Moved", " back", "moves the rest back"
    else:
        did, back, again = "Deleted", "", "deletes the rest"
    if outcome.cancelled:
        counted = f"{done:,} of {_count(total, outcome.mode)}"
        text = f"{did} {counted}{back}, then stopped: Undo Sort {again}."
    else:
        text = f"{did} {_count(done, outcome.mode)}{back}."
    if outcome.failed:
        reasons = "; ".join(message for _entry, message in outcome.failed[:3])
        more = f" (and {len(outcome.failed) - 3:,} more)" if len(outcome.failed) > 3 else ""
        text += (
            f" {len(outcome.failed):,} could not be undone and were left alone: {reasons}{more}."
            f" To try again: edgeclass sort --undo {display_path(str(outcome.journal))}"
        )
    return text
