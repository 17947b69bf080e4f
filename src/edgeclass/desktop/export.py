"""Export results to CSV or JSON. Written to a temp file beside the target, then renamed."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from edgeclass.runtime.results import ClassificationResult

CSV_COLUMNS = ("path", "status", "label", "score", "top_k", "message", "width", "height")


def results_to_csv(results: Sequence[ClassificationResult]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in results:
        writer.writerow(
            [
                result.path,
                result.status.value,
                result.label or "",
                "" if result.score is None else f"{result.score:.6f}",
                ";".join(f"{label}:{score:.6f}" for label, score in result.top_k),
                result.message,
                "" if result.width is None else result.width,
                "" if result.height is None else result.height,
            ]
        )
    return buffer.getvalue()


def results_to_json(results: Sequence[ClassificationResult], **extra) -> str:
    document = {**extra, "results": [result.to_dict() for result in results]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Never leaves a half-written file: a reader sees the old file or the whole new one."""
    target = Path(path)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def export_results(
    results: Sequence[ClassificationResult], path: str | Path, *, model: str | None = None
) -> Path:
    """CSV or JSON by the file's suffix (anything but .json is CSV)."""
    target = Path(path)
    if target.suffix.lower() == ".json":
        extra = {"model": model} if model else {}
        return write_text_atomic(target, results_to_json(results, **extra))
    return write_text_atomic(target, results_to_csv(results))
