"""The run queue: paths wait here while one `ClassifyWorker` runs; its results fill the model.

A QObject without widgets, so the queue, cancelling and the end-of-run numbers can be driven
and tested without a window. The window shows what the signals say.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TypedDict

from PySide6.QtCore import QObject, QThreadPool, Signal

from edgeclass.desktop.results_model import ResultsModel
from edgeclass.desktop.truths import find_truths
from edgeclass.desktop.worker import CANCELLED, ClassifyWorker, ResultBatch
from edgeclass.runtime.classifier import Classifier
from edgeclass.runtime.tally import StatusTally


class RunController(QObject):
    """`runStarted` fires each time a worker starts, `runFinished(outcome)` when the last queued
    run ends (outcome: worker.COMPLETED or worker.CANCELLED); `progress(done, total)` and
    `errorOccurred(message)` come from the worker in between."""

    runStarted = Signal()
    runFinished = Signal(str)
    progress = Signal(int, int)
    errorOccurred = Signal(str)

    def __init__(self, results_model: ResultsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.results_model = results_model
        self.classifier: Classifier | None = None
        self._worker: ClassifyWorker | None = None
        self._queue: list[Path] = []
        self._run_started = 0.0
        # What the current (or last) run did: results by status, files the table already held
        # with a label (not classified again), failed rows tried again.
        self.tally = StatusTally()
        self.already_there = 0
        self.retried = 0
        self.last_run_seconds = 0.0

    def classify(self, paths: Iterable[str | Path]) -> None:
        """Queue files and folders (folders are scanned recursively in the worker)."""
        if self.classifier is None:
            raise RuntimeError("no model loaded")
        self._queue.extend(Path(p) for p in paths)
        if self._worker is None and self._queue:
            self._start_next()

    def classify_again(self) -> None:
        """Every row again, with the current model. The rows go and come back as the model
        answers; what is known about them stays: the truth of each photo (for the labels this
        model has) and the folders they were dropped from."""
        if self._worker is not None or self.classifier is None:
            return
        model = self.results_model
        labels = set(self.classifier.labels)
        paths = [Path(r.path) for r in model.results()]
        folders = model.folders.roots()
        truths = {p: t for p, t in model.truths().items() if t in labels}
        found = find_truths((Path(f) for f in folders), self.classifier.labels).truths
        self._queue = paths
        worker = self._next_worker(skip=())  # busy from here on: the window keeps its table
        model.clear()
        model.add_dropped_folders(folders)
        model.set_truths({**found, **truths})
        self._launch(worker)

    def cancel(self) -> None:
        self._queue.clear()
        if self._worker is not None:
            self._worker.cancel()

    def is_busy(self) -> bool:
        return self._worker is not None

    def wait_for_done(self, timeout_ms: int = 10_000) -> None:
        """Cancel and wait: the worker stops within one batch, so no thread outlives its owner."""
        self.cancel()
        if self._worker is not None:
            QThreadPool.globalInstance().waitForDone(timeout_ms)

    def _start_next(self) -> None:
        # Rows with a label stay; failed rows are tried again (the file may have been fixed).
        labelled = {r.path for r in self.results_model.results() if r.ok}
        self._launch(self._next_worker(skip=labelled))

    def _next_worker(self, skip: Iterable[str]) -> ClassifyWorker:
        """The worker for the queued paths; from here on the controller is busy."""
        if self.classifier is None:
            raise RuntimeError("no model loaded")
        paths, self._queue = self._queue, []
        worker = ClassifyWorker(self.classifier, paths, skip=skip)
        worker.signals.result.connect(self._on_batch)
        worker.signals.skipped.connect(self._on_skipped)
        worker.signals.progress.connect(self.progress)
        worker.signals.error.connect(self.errorOccurred)
        worker.signals.finished.connect(self._on_finished)
        self._worker = worker
        if not self._run_started:
            self._run_started = time.monotonic()
            self.tally = StatusTally()
            self.already_there = self.retried = 0
        return worker

    def _launch(self, worker: ClassifyWorker) -> None:
        self.runStarted.emit()
        QThreadPool.globalInstance().start(worker)

    def _on_batch(self, batch: ResultBatch) -> None:
        self.retried += sum(1 for r in batch.results if self.results_model.contains(r.path))
        for result in batch.results:
            self.tally.add(result.with_threshold(self.results_model.threshold()))
        self.results_model.append_results(batch.results, batch.thumbnails)

    def _on_skipped(self, count: int) -> None:
        self.already_there += count

    def _on_finished(self, outcome: str) -> None:
        self._worker = None
        if self._queue and outcome != CANCELLED:
            self._start_next()
            return
        self._queue.clear()
        self.last_run_seconds = time.monotonic() - self._run_started
        self._run_started = 0.0
        self.runFinished.emit(outcome)


class ThreadCounts(TypedDict):
    threads: int
    decode_threads: int


def desktop_thread_counts(cpus: int | None = None) -> ThreadCounts:
    """Half the cores for inference, half for decoding: unlike the CLI, the app keeps CPU
    for its own window, so the UI stays responsive while a big folder is classified."""
    cpus = cpus or os.cpu_count() or 2
    half = max(1, cpus // 2)
    return {"threads": half, "decode_threads": min(4, half)}
