"""Decide where each photo goes, before anything on disk is touched.

The plan is built from classification results alone: `DEST/<label>/<name>`, `DEST/unknown/`
below the threshold, a numbered name (`IMG_1-1.jpg`) where the name is already taken in that
folder or by another photo of the same run. Files that could not be classified are listed as
failures and stay where they are. The plan's per-label counts are the preview a user confirms.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from edgeclass.organize.names import free_name, label_folder_name
from edgeclass.runtime.classifier import Classifier
from edgeclass.runtime.progress import ProgressCallback, no_progress
from edgeclass.runtime.results import UNKNOWN_LABEL, ClassificationResult


@dataclass(frozen=True)
class PlannedFile:
    source: Path  # absolute
    label: str  # the model's label, or "unknown" below the threshold
    score: float
    target: Path  # absolute: DEST/<label folder>/<free name>


@dataclass(frozen=True)
class SortPlan:
    dest: Path  # absolute
    threshold: float
    files: tuple[PlannedFile, ...]
    failures: tuple[ClassificationResult, ...]  # not classified: they stay where they are
    skipped_in_dest: tuple[Path, ...] = ()  # inputs already inside DEST: left alone

    def counts(self) -> dict[str, int]:
        """Photos per label folder, most first (ties by name)."""
        counter = Counter(planned.label for planned in self.files)
        return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))

    def to_dict(self) -> dict:
        return {
            "dest": str(self.dest),
            "threshold": self.threshold,
            "counts": self.counts(),
            "files": [
                {
                    "source": str(planned.source),
                    "label": planned.label,
                    "score": planned.score,
                    "target": str(planned.target),
                }
                for planned in self.files
            ],
            "failures": [
                {"path": failure.path, "status": failure.status.value, "message": failure.message}
                for failure in self.failures
            ],
            "skipped_in_dest": [str(path) for path in self.skipped_in_dest],
        }


def is_inside(path: Path, folder: Path) -> bool:
    """True when `path` lies under `folder` (both compared after resolving symbolic links)."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def split_inputs(paths: Sequence[Path], dest: Path) -> tuple[list[Path], list[Path]]:
    """(to sort, already inside DEST): re-sorting DEST into itself would only rename files."""
    keep: list[Path] = []
    inside: list[Path] = []
    for path in paths:
        (inside if is_inside(path, dest) else keep).append(path)
    return keep, inside


def classify_for_sort(
    classifier: Classifier,
    paths: Sequence[Path],
    *,
    batch_size: int = 2,
    cancel: threading.Event | None = None,
    on_progress: ProgressCallback = no_progress,
) -> list[ClassificationResult]:
    """Classify every path (threshold applied later, by the plan). Stops early on `cancel`."""
    results: list[ClassificationResult] = []
    total = len(paths)
    on_progress("classify", 0, total)
    for result in classifier.classify_paths(paths, batch_size=batch_size, top_k=1, cancel=cancel):
        results.append(result)
        on_progress("classify", len(results), total)
    return results


def plan_sort(
    results: Iterable[ClassificationResult],
    dest: str | Path,
    *,
    threshold: float = 0.0,
    skipped_in_dest: Sequence[Path] = (),
) -> SortPlan:
    """Where each classified photo goes under `dest`; names free now and distinct in the plan."""
    dest_path = Path(os.path.abspath(dest))
    taken: dict[Path, set[str]] = {}
    files: list[PlannedFile] = []
    failures: list[ClassificationResult] = []
    for result in results:
        if not result.ok:
            failures.append(result)
            continue
        relabelled = result.with_threshold(threshold)
        label = relabelled.label or UNKNOWN_LABEL
        folder = dest_path / label_folder_name(label)
        names = taken.setdefault(folder, set())
        source = Path(os.path.abspath(result.path))
        target = free_name(folder, source.name, names)
        names.add(target.name.casefold())
        files.append(PlannedFile(source, label, float(result.score or 0.0), target))
    return SortPlan(dest_path, threshold, tuple(files), tuple(failures), tuple(skipped_in_dest))
