"""One long task (sort, undo, heat map) on its own QThread, cancellable, with typed signals.

The task is a plain function `work(cancel, on_progress) -> value` from the headless packages
(edgeclass.organize, edgeclass.runtime.occlusion): it watches the `threading.Event` and reports
through the runtime's `on_progress(phase, done, total)` callback. A dedicated thread, not the
global QThreadPool: the pool's threads are taken by classification and previews.

The `Task` object, and so its signals, stays on the thread that made it (the UI thread); only a
small body object moves to the worker thread to call `Task.run` there. Qt delivers a signal to a
slot in the thread its context object lives in, and for a plain Python callable (a lambda, a
closure, a method of a non-Qt object) PySide6 takes the sender as that context: were the Task
moved to the worker, such slots would run on the worker thread and touch widgets from there
(Undo Sort froze and crashed that way). So every slot of a Task's signals runs on the UI
thread, queued, unless it is connected with Qt.DirectConnection on purpose.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

# CANCELLED: one outcome name for both kinds of job (re-exported for the task's users).
from edgeclass.desktop.worker import CANCELLED as CANCELLED
from edgeclass.desktop.worker import lower_thread_priority
from edgeclass.errors import Cancelled
from edgeclass.runtime.progress import ProgressCallback

# How a task ended, as a str: no Python bool or None ever crosses the thread boundary.
SUCCEEDED = "succeeded"
FAILED = "failed"

Work = Callable[[threading.Event, ProgressCallback], Any]


class Task(QObject):
    """Runs `work` once on a TaskRunner's thread. Exactly one `ended` per run, last.

    Never move a Task to another thread: its signals must stay where its slots live.
    """

    progress = Signal(int, int)  # done, total
    succeeded = Signal(object)  # what `work` returned (never None: see `run`)
    failed = Signal(str)  # the error's message
    ended = Signal(str)  # SUCCEEDED, FAILED or CANCELLED

    def __init__(self, work: Work) -> None:
        super().__init__()
        self._work = work
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        """Called on the worker thread (by `_TaskBody`); emits from there."""
        lower_thread_priority()
        outcome = SUCCEEDED
        try:
            value = self._work(self._cancel, self._report)
        except Cancelled:
            outcome = CANCELLED
        except Exception as error:  # thread boundary: report, never vanish
            outcome = FAILED
            self.failed.emit(str(error) or type(error).__name__)
        else:
            if value is not None:
                self.succeeded.emit(value)
        self.ended.emit(outcome)

    def _report(self, _phase: str, done: int, total: int) -> None:
        self.progress.emit(done, total)


class _TaskBody(QObject):
    """Moved to the worker thread, so that `run` is called there; the Task itself stays."""

    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task

    @Slot()
    def run(self) -> None:
        self._task.run()


class TaskRunner(QObject):
    """Starts tasks on threads of their own and keeps them alive until the thread has ended."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[QThread, tuple[Task, _TaskBody]] = {}

    def start(self, task: Task) -> None:
        thread = QThread()
        body = _TaskBody(task)
        body.moveToThread(thread)
        thread.started.connect(body.run)
        # Direct: quit() is thread-safe, and a queued call would wait for the UI thread, which
        # may itself be waiting for this thread (wait_all).
        task.ended.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._thread_finished)
        self._running[thread] = (task, body)
        thread.start()

    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for task, _body in self._running.values():
            task.cancel()

    def wait_all(self, timeout_ms: int = 10_000) -> None:
        """Cancel and wait: no thread may outlive the window that started it."""
        self.cancel_all()
        for thread in list(self._running):
            if thread.wait(timeout_ms):  # never drop a thread still running: Qt would abort
                self._running.pop(thread, None)

    def _thread_finished(self) -> None:
        thread = self.sender()
        if isinstance(thread, QThread):
            self._drop_when_ended(thread)

    def _drop_when_ended(self, thread: QThread) -> None:
        # `finished` is emitted just before the thread really ends, and dropping the last
        # reference to a running QThread makes Qt abort the process. Waiting for it here could
        # block the UI thread while a busy machine gets round to the thread's last steps.
        if thread.isFinished():
            self._running.pop(thread, None)
        else:
            QTimer.singleShot(5, lambda: self._drop_when_ended(thread))
