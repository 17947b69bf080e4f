"""Result writers for `edgeclass classify` (table, csv, json, jsonl) and atomic output files."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from edgeclass.file_modes import as_new_file
from edgeclass.runtime.results import ClassificationResult

FORMATS = ("table", "csv", "json", "jsonl")
CSV_FIELDS = ("path", "status", "label", "score", "top_k", "width", "height", "message")


def format_top_k(result: ClassificationResult, digits: int = 6) -> str:
    """`cat:0.912345;dog:0.071234`: the CSV and table form of the ranked labels."""
    return ";".join(f"{label}:{score:.{digits}f}" for label, score in result.top_k)


class ResultWriter:
    """Receives results in input order; `finish` is called once after the last one."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, result: ClassificationResult) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        self.stream.flush()


class CsvWriter(ResultWriter):
    """Streams one row per file under a fixed header."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.csv = csv.writer(stream, lineterminator="\n")
        self.csv.writerow(CSV_FIELDS)

    def write(self, result: ClassificationResult) -> None:
        self.csv.writerow(
            [
                result.path,
                result.status.value,
                result.label or "",
                "" if result.score is None else f"{result.score:.6f}",
                format_top_k(result),
                "" if result.width is None else result.width,
                "" if result.height is None else result.height,
                result.message,
            ]
        )


class JsonlWriter(ResultWriter):
    """Streams one JSON object per line, flushed, so a consumer can follow along."""

    def write(self, result: ClassificationResult) -> None:
        self.stream.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        self.stream.flush()


class JsonWriter(ResultWriter):
    """Buffers everything, then writes one JSON array (valid JSON only when complete)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.items: list[dict] = []

    def write(self, result: ClassificationResult) -> None:
        self.items.append(result.to_dict())

    def finish(self) -> None:
        json.dump(self.items, self.stream, indent=2, ensure_ascii=False)
        self.stream.write("\n")
        super().finish()


class TableWriter(ResultWriter):
    """Buffers, then prints aligned columns for people to read."""

    def __init__(self, stream: TextIO, show_top_k: bool = False) -> None:
        super().__init__(stream)
        self.show_top_k = show_top_k
        self.rows: list[list[str]] = []

    def write(self, result: ClassificationResult) -> None:
        row = [
            result.path,
            result.status.value,
            result.label or "-",
            "-" if result.score is None else f"{result.score:.4f}",
        ]
        if self.show_top_k:
            row.append(format_top_k(result, digits=4) or "-")
        row.append(result.message)
        self.rows.append(row)

    def finish(self) -> None:
        header = ["PATH", "STATUS", "LABEL", "SCORE"]
        if self.show_top_k:
            header.append("TOP-K")
        header.append("MESSAGE")
        rows = [header, *self.rows]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stream.write("  ".join([*cells, row[-1]]).rstrip() + "\n")
        super().finish()


def make_writer(fmt: str, stream: TextIO, top_k: int = 1) -> ResultWriter:
    if fmt == "csv":
        return CsvWriter(stream)
    if fmt == "json":
        return JsonWriter(stream)
    if fmt == "jsonl":
        return JsonlWriter(stream)
    if fmt == "table":
        return TableWriter(stream, show_top_k=top_k > 1)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


@contextlib.contextmanager
def atomic_output(path: str | Path | None) -> Iterator[TextIO]:
    """stdout, or a temp file next to `path` renamed over it only when the block succeeds.

    On any failure, Ctrl+C included, the temp file is removed and an existing `path` is left
    exactly as it was: readers never see a half-written file.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    target = Path(path)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        as_new_file(temp_name)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
