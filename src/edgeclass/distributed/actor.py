"""The Ray Data callable class: one model per actor, loaded once, classifying batches of rows."""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, replace
from itertools import count

import pyarrow as pa

from edgeclass.distributed.model_files import ModelFiles
from edgeclass.distributed.schema import results_table
from edgeclass.distributed.watch import RowCounter
from edgeclass.runtime.discovery import results_in_order
from edgeclass.runtime.in_memory import classify_many
from edgeclass.runtime.results import ClassificationResult, Status

# Models loaded in this process: the number in `model_instance`, so a reload would show.
_loads = count(1)
_loads_lock = threading.Lock()


@dataclass(frozen=True)
class ClassifyOptions:
    threads: int | None
    decode_threads: int | None
    batch_size: int
    top_k: int
    threshold: float
    exact_decode: bool
    max_pixels: int
    report_model_instance: bool


class ClassifyBatch:
    """Rows in, result rows out (see schema.py), in the same order.

    Input rows hold either `bytes` and `path` (what `ray.data.read_binary_files(...,
    include_paths=True)` gives: the path is only echoed) or a `path` to open on the worker
    (str, or the exact name as bytes), optionally with `open_path` (the absolute name to open,
    when `path` is relative), and `status` and `message` for an outcome already known (a folder
    the scan could not list), which is passed through.
    """

    def __init__(
        self, model: ModelFiles, options: ClassifyOptions, counter: RowCounter | None = None
    ) -> None:
        self.options = options
        self.counter = counter
        self.classifier = model.load(
            options.threads, options.decode_threads, options.exact_decode, options.max_pixels
        )
        with _loads_lock:
            load = next(_loads)
        self.model_instance = (
            f"{socket.gethostname()}:{os.getpid()}:{load}"
            if options.report_model_instance
            else None
        )

    def __call__(self, batch: pa.Table) -> pa.Table:
        if "bytes" in batch.column_names:
            results = self._classify_bytes(batch)
        else:
            results = self._classify_files(batch)
        if self.counter is not None:
            self.counter.add(len(results))
        return results_table(results, self.model_instance)

    def _classify_bytes(self, batch: pa.Table) -> list[ClassificationResult]:
        images = zip(
            batch.column("bytes").to_pylist(), batch.column("path").to_pylist(), strict=True
        )
        return classify_many(
            self.classifier,
            images,
            batch_size=self.options.batch_size,
            top_k=self.options.top_k,
            threshold=self.options.threshold,
        )

    def _classify_files(self, batch: pa.Table) -> list[ClassificationResult]:
        shown = [os.fsdecode(path) for path in batch.column("path").to_pylist()]
        paths = shown
        if "open_path" in batch.column_names:
            opened = batch.column("open_path").to_pylist()
            paths = [
                name if absolute is None else os.fsdecode(absolute)
                for name, absolute in zip(shown, opened, strict=True)
            ]
        known: list[str | None] = [None] * len(paths)
        messages: list[str | None] = [None] * len(paths)
        if "status" in batch.column_names:
            known = batch.column("status").to_pylist()
            messages = batch.column("message").to_pylist()
        items = [
            path
            if status is None
            else ClassificationResult(path, Status(status), message=message or "")
            for path, status, message in zip(paths, known, messages, strict=True)
        ]
        results = results_in_order(
            self.classifier,
            items,
            batch_size=self.options.batch_size,
            top_k=self.options.top_k,
            threshold=self.options.threshold,
        )
        # The rows show each name as it was given, relative or not.
        return [
            result if result.path == name else replace(result, path=name)
            for result, name in zip(results, shown, strict=True)
        ]
