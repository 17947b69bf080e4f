"""Export results as CSV or JSON with the CLI's own writers, so both tools write the same files.

`atomic_output` writes a temp file beside the target and renames it over the target only when
the whole file is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from edgeclass.atomic_files import atomic_output
from edgeclass.runtime.results import ClassificationResult
from edgeclass.runtime.writers import make_writer

TRUTH_FIELD = "truth"


def export_format(path: str | Path) -> str:
    """The writer format for a file name: json for .json, else csv."""
    return "json" if Path(path).suffix.lower() == ".json" else "csv"


def export_results(
    results: Sequence[ClassificationResult],
    path: str | Path,
    truths: Mapping[str, str] | None = None,
) -> Path:
    """The same columns / objects as `edgeclass classify --format csv|json --output PATH`, and
    with `truths` (path -> true label) a last `truth` column (empty where not known)."""
    target = Path(path)
    fields = (TRUTH_FIELD,) if truths is not None else ()
    with atomic_output(target) as stream:
        writer = make_writer(export_format(target), stream, extra_fields=fields)
        for result in results:
            extra = {TRUTH_FIELD: truths.get(result.path)} if truths is not None else None
            writer.write(result, extra)
        writer.finish()
    return target
