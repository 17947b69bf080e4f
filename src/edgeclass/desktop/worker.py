"""Classification off the UI thread: a QRunnable on QThreadPool with its own signals object."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, QThread, Signal
from PySide6.QtGui import QImage

from edgeclass.desktop.thumbnails import THUMBNAIL_SIZE, make_thumbnail
from edgeclass.runtime.results import ClassificationResult

if TYPE_CHECKING:
    from edgeclass.runtime.classifier import Classifier


@dataclass(frozen=True)
class ResultBatch:
    """Results in input order, with the thumbnails made for the readable ones."""

    results: tuple[ClassificationResult, ...]
    thumbnails: dict[str, QImage] = field(default_factory=dict)


BACKGROUND_NICENESS = 5


def lower_thread_priority() -> None:
    """Let the window's thread win the CPU over the classification threads.

    On Linux, setpriority on a thread id renices that thread only, and the decode threads it
    starts inherit the value. Elsewhere QThread's own priority does the job.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            tid = threading.get_native_id()
            current = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, max(current, BACKGROUND_NICENESS))
    else:
        thread = QThread.currentThread()
        if thread is not None:
            thread.setPriority(QThread.Priority.LowPriority)


COMPLETED = "completed"
CANCELLED = "cancelled"


class WorkerSignals(QObject):
    """Lives on the UI thread; emitted from the worker thread, so delivery is queued.

    Payloads are ints, str and our own objects, never a bare bool or None: a binding that
    miscounts references to those singletons (PySide6 6.12.0) then has less to get wrong.
    """

    started = Signal()
    progress = Signal(int, int)  # done, total (total is known once the folders are scanned)
    result = Signal(object)  # ResultBatch
    error = Signal(str)
    skipped = Signal(int)  # files found that the table already holds (not classified again)
    finished = Signal(str)  # COMPLETED or CANCELLED


class ClassifyWorker(QRunnable):
    """Scans the dropped paths (folders recursively), classifies them, streams batches.

    `cancel()` sets the event that `Classifier.classify_paths` watches, so the work stops within a
    batch. `finished` is emitted exactly once, whatever happened.
    """

    def __init__(
        self,
        classifier: Classifier,
        paths: Iterable[Path],
        *,
        skip: Iterable[str] = (),
        batch_size: int = 16,
        top_k: int = 5,
        thumbnail_size: int = THUMBNAIL_SIZE,
        emit_interval_s: float = 0.1,
        max_batch: int = 64,
    ) -> None:
        super().__init__()
        self.signals = WorkerSignals()
        self._classifier = classifier
        self._paths = [Path(p) for p in paths]
        self._skip = frozenset(skip)
        self._batch_size = batch_size
        self._top_k = top_k
        self._thumbnail_size = thumbnail_size
        self._emit_interval_s = emit_interval_s
        self._max_batch = max_batch
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        lower_thread_priority()
        self.signals.started.emit()
        try:
            self._classify()
        except Exception as error:  # thread boundary: report, never vanish
            self.signals.error.emit(f"{type(error).__name__}: {error}")
        finally:
            self.signals.finished.emit(CANCELLED if self._cancel.is_set() else COMPLETED)

    def _classify(self) -> None:
        from edgeclass.runtime.discovery import discover

        found = discover(self._paths, recursive=True)
        files = [p for p in found.files if str(p) not in self._skip]
        self.signals.skipped.emit(len(found.files) - len(files))
        # Folders that could not be read are rows of their own, never a silent gap.
        unreadable = [r for r in found.problems if r.path not in self._skip]
        total = len(files) + len(unreadable)
        self.signals.progress.emit(0, total)
        if unreadable:
            self._emit(unreadable, {}, len(unreadable), total)
        if not files or self._cancel.is_set():
            return
        pending: list[ClassificationResult] = []
        thumbnails: dict[str, QImage] = {}
        done = len(unreadable)
        last_emit = time.monotonic()
        results = self._classifier.classify_paths(
            files, batch_size=self._batch_size, top_k=self._top_k, cancel=self._cancel
        )
        for result in results:
            pending.append(result)
            if result.ok:
                thumbnail = make_thumbnail(result.path, self._thumbnail_size)
                if thumbnail is not None:
                    thumbnails[result.path] = thumbnail
            now = time.monotonic()
            if len(pending) >= self._max_batch or now - last_emit >= self._emit_interval_s:
                done += len(pending)
                self._emit(pending, thumbnails, done, total)
                pending, thumbnails, last_emit = [], {}, now
            if self._cancel.is_set():
                break
        if pending:
            done += len(pending)
            self._emit(pending, thumbnails, done, total)

    def _emit(
        self,
        pending: list[ClassificationResult],
        thumbnails: dict[str, QImage],
        done: int,
        total: int,
    ) -> None:
        self.signals.result.emit(ResultBatch(tuple(pending), thumbnails))
        self.signals.progress.emit(done, total)
