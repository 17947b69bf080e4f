"""Photos whose true label is known, `root/<label>/*.jpg`: the one scan behind `edgeclass
evaluate` and `edgeclass quantize --calib/--eval`.

Every sub-folder must be one of the model's labels, and the images lie directly inside each;
label folders in sorted order, files sorted by name, hidden ones left out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from edgeclass.errors import DataError
from edgeclass.runtime.discovery import find_images


@dataclass(frozen=True)
class LabelledFile:
    path: Path
    truth: str


def scan_labelled_folder(
    root: str | Path,
    labels: Sequence[str],
    *,
    per_class_limit: int | None = None,
    exclude: Collection[str] = (),
) -> list[LabelledFile]:
    """Images under `root/<label>/`. per_class_limit keeps the first N files of each label
    (sorted by name): a deterministic, class-balanced subset, for calibration. `exclude`:
    names of sub-folders to leave out (the desktop's own sort destinations)."""
    folder = Path(root)
    if not folder.is_dir():
        raise DataError(f"{folder} does not exist or is not a folder")
    try:
        subfolders = sorted(
            entry.name
            for entry in folder.iterdir()
            if entry.is_dir() and entry.name[:1] != "." and entry.name not in exclude
        )
    except OSError as error:
        raise DataError(f"cannot list {folder}: {error.strerror}") from None
    expected = ", ".join(labels)
    if not subfolders:
        raise DataError(f"{folder} has no sub-folders; expected one per label: {expected}")
    strangers = [name for name in subfolders if name not in labels]
    if strangers:
        raise DataError(
            f"{folder} has sub-folders that are not labels of the model: "
            f"{', '.join(strangers)} (the model's labels: {expected})"
        )
    files = [
        LabelledFile(path, name)
        for name in subfolders
        for path in find_images([folder / name])[:per_class_limit]
    ]
    if not files:
        raise DataError(f"{folder} holds no image files in its label folders")
    return files
