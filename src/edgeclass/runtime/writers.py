"""Result writers (table, csv, json, jsonl): `edgeclass classify`'s output, the desktop's export.

Every format is UTF-8 text; names that are not valid UTF-8 are written as `runtime/names.py`
says (a readable `\\xNN` form plus the exact bytes in base64). CSV and JSON are data: every other
character of a name stays exact (JSON escapes control characters itself; CSV quotes a cell
holding a line break). The table is for people: control characters are escaped there.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from edgeclass.runtime.names import display_path, exact_base64, path_base64, terminal_text
from edgeclass.runtime.results import ClassificationResult

FORMATS = ("table", "csv", "json", "jsonl")
CSV_FIELDS = (
    "path",
    "status",
    "label",
    "score",
    "top_k",
    "width",
    "height",
    "message",
    "path_base64",
)
# A cell starting with one of these is run as a formula by spreadsheets (OWASP, CSV injection);
# "'" is included so that dropping one leading "'" always gives the value back.
SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
# Columns a caller adds after the standard ones (the desktop's `truth`): name -> value or None.
Extra = Mapping[str, str | None]


def spreadsheet_safe(cell: str) -> str:
    """`cell` with a leading `'` when a spreadsheet would otherwise read it as a formula."""
    return "'" + cell if cell.startswith(SPREADSHEET_TRIGGERS) else cell


def format_top_k(result: ClassificationResult, digits: int = 6) -> str:
    """`cat:0.912345;dog:0.071234`: the CSV and table form of the ranked labels."""
    return ";".join(f"{label}:{score:.{digits}f}" for label, score in result.top_k)


class ResultWriter:
    """Receives results in input order; `finish` is called once after the last one.

    `extra`: values of columns the caller adds after the standard ones (CSV: those named in
    `extra_fields`; JSON: keys added to each object; the table leaves them out)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, result: ClassificationResult, extra: Extra | None = None) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        self.stream.flush()


class CsvWriter(ResultWriter):
    """Streams one row per file under a fixed header."""

    def __init__(self, stream: TextIO, extra_fields: Sequence[str] = ()) -> None:
        super().__init__(stream)
        self.extra_fields = tuple(extra_fields)
        self.csv = csv.writer(stream, lineterminator="\n")
        # csv quotes a field holding "\n" but not one holding a bare "\r" (not in the line
        # terminator), which readers then take for a line break: such rows are quoted whole.
        self.csv_quoted = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self.csv.writerow(CSV_FIELDS + self.extra_fields)

    def write(self, result: ClassificationResult, extra: Extra | None = None) -> None:
        row = [
            spreadsheet_safe(display_path(result.path)),
            result.status.value,
            spreadsheet_safe(result.label or ""),
            "" if result.score is None else f"{result.score:.6f}",
            spreadsheet_safe(format_top_k(result)),
            "" if result.width is None else result.width,
            "" if result.height is None else result.height,
            spreadsheet_safe(display_path(result.message)),
            path_base64(result.path) or "",
        ]
        row += [spreadsheet_safe((extra or {}).get(name) or "") for name in self.extra_fields]
        quoted = any("\r" in cell for cell in row if isinstance(cell, str))
        (self.csv_quoted if quoted else self.csv).writerow(row)


class JsonlWriter(ResultWriter):
    """Streams one JSON object per line, flushed, so a consumer can follow along."""

    def write(self, result: ClassificationResult, extra: Extra | None = None) -> None:
        item = {**result.to_dict(), **(extra or {})}
        self.stream.write(json.dumps(item, ensure_ascii=False) + "\n")
        self.stream.flush()


class JsonWriter(ResultWriter):
    """Buffers everything, then writes one JSON array (valid JSON only when complete)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.items: list[dict[str, Any]] = []

    def write(self, result: ClassificationResult, extra: Extra | None = None) -> None:
        self.items.append({**result.to_dict(), **(extra or {})})

    def finish(self) -> None:
        # One write, not json.dump's many: a stop between two of them would flush half an array.
        self.stream.write(json.dumps(self.items, indent=2, ensure_ascii=False) + "\n")
        super().finish()


class TableWriter(ResultWriter):
    """Buffers, then prints aligned columns for people to read (control characters escaped)."""

    def __init__(self, stream: TextIO, show_top_k: bool = False) -> None:
        super().__init__(stream)
        self.show_top_k = show_top_k
        self.rows: list[list[str]] = []

    def write(self, result: ClassificationResult, extra: Extra | None = None) -> None:
        shown = terminal_text(result.path)
        row = [
            shown,
            result.status.value,
            terminal_text(result.label or "-"),
            "-" if result.score is None else f"{result.score:.4f}",
        ]
        if self.show_top_k:
            row.append(terminal_text(format_top_k(result, digits=4)) or "-")
        message = terminal_text(result.message)
        if shown != result.path:
            exact = exact_base64(result.path)
            message = f"{message} (exact name, base64: {exact})".lstrip()
        row.append(message)
        self.rows.append(row)

    def finish(self) -> None:
        header = ["PATH", "STATUS", "LABEL", "SCORE"]
        if self.show_top_k:
            header.append("TOP-K")
        header.append("MESSAGE")
        rows = [header, *self.rows]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
        lines = []
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            lines.append("  ".join([*cells, row[-1]]).rstrip() + "\n")
        self.stream.write("".join(lines))  # one write: a stop never shows half a table
        super().finish()


def make_writer(
    fmt: str, stream: TextIO, top_k: int = 1, extra_fields: Sequence[str] = ()
) -> ResultWriter:
    if fmt == "csv":
        return CsvWriter(stream, extra_fields)
    if fmt == "json":
        return JsonWriter(stream)
    if fmt == "jsonl":
        return JsonlWriter(stream)
    if fmt == "table":
        return TableWriter(stream, show_top_k=top_k > 1)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
