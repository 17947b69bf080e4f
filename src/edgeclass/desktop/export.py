"""Export results as CSV or JSON with the CLI's own writers, so both tools write the same files.

`atomic_output` writes a temp file beside the target and renames it over the target only when
the whole file is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from edgeclass.atomic_files import atomic_output
from edgeclass.runtime.results import ClassificationResult
from edgeclass.runtime.writers import make_writer


def export_format(path: str | Path) -> str:
    """The writer format for a file name: json for .json, else csv."""
    return "json" if Path(path).suffix.lower() == ".json" else "csv"


def export_results(results: Sequence[ClassificationResult], path: str | Path) -> Path:
    """The same columns / objects as `edgeclass classify --format csv|json --output PATH`."""
    target = Path(path)
    with atomic_output(target) as stream:
        writer = make_writer(export_format(target), stream)
        for result in results:
            writer.write(result)
        writer.finish()
    return target
