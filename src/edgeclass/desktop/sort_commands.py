"""File > Sort into folders… and Edit > Undo Sort: the actions the main window puts in its menus.

The last sort's journal is remembered in the settings, so Undo works after a restart too.
Undo is `edgeclass.organize.undo_journal` on a worker thread behind a cancellable progress box.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from edgeclass.desktop.actions import add_action
from edgeclass.desktop.background import SUCCEEDED, Task, TaskRunner
from edgeclass.desktop.sort_dialog import SortDialog
from edgeclass.organize import Mode, SortOutcome, UndoOutcome, read_journal, undo_journal
from edgeclass.runtime.progress import ProgressCallback
from edgeclass.runtime.results import ClassificationResult

LAST_JOURNAL_KEY = "sort/last_journal"


class SortCommands(QObject):
    """`undoEnded(summary)`: the undo's one-line summary, once its thread has ended."""

    undoEnded = Signal(str)

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

    def refresh(self) -> None:
        """Enable the actions that can do something now."""
        idle = not self.runner.busy() and self.dialog is None
        self.sort_action.setEnabled(idle)
        self.undo_action.setEnabled(idle and self.last_journal() is not None)

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

    def _sort_ended(self, _how: str, journal: str) -> None:
        if journal:
            self._settings.setValue(LAST_JOURNAL_KEY, journal)
        outcome = self.dialog.outcome if self.dialog is not None else None
        moves = moves_of_sort(outcome, Path(journal) if journal else None)
        if moves:
            self._relocate(moves)
        self.refresh()

    def _dialog_closed(self, _result: int) -> None:
        self.dialog = None
        self.refresh()

    # --- undo ---------------------------------------------------------------------------------

    def undo_last_sort(self) -> Task | None:
        journal = self.last_journal()
        if self.runner.busy():
            return None
        if journal is None:
            QMessageBox.information(self._parent, "Undo sort", "There is no sort to undo.")
            return None

        def work(cancel: threading.Event, on_progress: ProgressCallback) -> UndoOutcome:
            return undo_journal(journal, cancel=cancel, on_progress=on_progress)

        task = Task(work)
        progress = QProgressDialog("Putting the photos back…", "Stop", 0, 0, self._parent)
        progress.setWindowTitle("Undo sort")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.canceled.connect(task.cancel)
        task.progress.connect(lambda done, total: _show_progress(progress, done, total))
        outcome: list[UndoOutcome] = []
        task.succeeded.connect(outcome.append)
        failed: list[str] = []
        task.failed.connect(failed.append)

        def ended(how: str) -> None:
            progress.close()
            progress.deleteLater()
            summary = _undo_text(outcome[0]) if outcome else f"Undo failed: {failed[0]}"
            if outcome and outcome[0].mode == Mode.MOVE.value:
                self._relocate({entry.target: entry.source for entry in outcome[0].restored})
            complete = outcome and not outcome[0].failed and not outcome[0].cancelled
            if how == SUCCEEDED and complete:
                self._settings.remove(LAST_JOURNAL_KEY)  # done: nothing left to undo
            self.refresh()
            QMessageBox.information(self._parent, "Undo sort", summary)
            self.undoEnded.emit(summary)

        task.ended.connect(ended)
        self.runner.start(task)
        self.refresh()
        return task

    def wait(self) -> None:
        """Cancel and wait for a running undo (the window is closing)."""
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


def _show_progress(progress: QProgressDialog, done: int, total: int) -> None:
    progress.setMaximum(max(total, 1))
    progress.setValue(done)


def _undo_text(outcome: UndoOutcome) -> str:
    verb = "Put back" if outcome.mode == "move" else "Removed"
    what = "photo(s)" if outcome.mode == "move" else f"{outcome.mode}(s)"
    text = f"{verb} {len(outcome.restored):,} {what}."
    if outcome.cancelled:
        text += " Stopped: Undo Sort again finishes the job."
    if outcome.failed:
        text += f" {len(outcome.failed):,} could not be undone: " + "; ".join(
            message for _entry, message in outcome.failed[:3]
        )
    return text
