"""Photos dropped in folders named like the model's labels: their truth, or why there is none.

The folder rules are `edgeclass evaluate`'s (`runtime.labelled_folder.scan_labelled_folder`):
every sub-folder is one of the model's labels. Two exceptions, so that the app's own output
does not cost a folder its truth: sub-folders holding a Sort journal (where an earlier Sort
into Folders put its copies, or what Undo Sort left of them) are left out. A dropped folder
that has label folders but breaks the rules gets a sentence saying why it has no truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from edgeclass.errors import DataError
from edgeclass.organize.journal import JOURNAL_PREFIX
from edgeclass.runtime.labelled_folder import scan_labelled_folder


@dataclass(frozen=True)
class FoundTruths:
    truths: dict[str, str] = field(default_factory=dict)  # path -> the label its folder says
    why_not: tuple[str, ...] = ()  # for each folder that looks labelled but is not


def sort_destinations(folder: Path) -> set[str]:
    """Names of the sub-folders of `folder` that a Sort into Folders wrote (they hold its
    journal)."""
    try:
        return {
            entry.name
            for entry in folder.iterdir()
            if entry.is_dir() and any(entry.glob(f"{JOURNAL_PREFIX}*.jsonl"))
        }
    except OSError:
        return set()


def find_truths(paths: Iterable[Path], labels: Sequence[str]) -> FoundTruths:
    """The truth of every photo in a dropped folder laid out as `<label>/<photos>`."""
    truths: dict[str, str] = {}
    why_not: list[str] = []
    for folder in paths:
        if not folder.is_dir():
            continue
        skipped = sort_destinations(folder)
        try:
            files = scan_labelled_folder(folder, labels, exclude=skipped)
        except DataError as error:
            if _has_label_folders(folder, labels):
                why_not.append(_why_not(folder, labels, skipped, error))
            continue  # a plain folder of photos: plain classification, nothing to say
        truths.update({str(item.path): item.truth for item in files})
    return FoundTruths(truths, tuple(why_not))


def _has_label_folders(folder: Path, labels: Sequence[str]) -> bool:
    return any((folder / label).is_dir() for label in labels)


def _why_not(folder: Path, labels: Sequence[str], skipped: set[str], error: DataError) -> str:
    try:
        others = sorted(
            entry.name
            for entry in folder.iterdir()
            if entry.is_dir()
            and entry.name[:1] != "."
            and entry.name not in labels
            and entry.name not in skipped
        )
    except OSError:
        others = []
    if not others:
        return f"“{folder.name}” has no Truth column: {error}"
    quoted = ", ".join(f"“{name}”" for name in others)
    return (
        f"“{folder.name}” has no Truth column: besides folders named like the model's labels "
        f"({', '.join(labels)}) it holds {quoted}, which "
        f"{'is not a label' if len(others) == 1 else 'are not labels'}. Photos are checked "
        "against their folder only when every sub-folder is named like a label."
    )
