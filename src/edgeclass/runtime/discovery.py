"""Turn the paths a user names into the ordered list of files to classify."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from edgeclass.image_formats import IMAGE_EXTENSIONS


def find_images(paths: Iterable[str | Path], recursive: bool = False) -> list[Path]:
    """Files to classify, in a deterministic order.

    A folder contributes its image files (by lower-cased extension), sorted by name; with
    `recursive`, its sub-folders too (symlinked folders are not followed, so no loops). Hidden
    entries (names starting with ".", such as macOS `._photo.jpg` shadows) are skipped. Anything
    else named explicitly is kept as given, whatever its extension, even when it does not exist:
    the classifier then reports it with its own status instead of it vanishing silently.
    Duplicates keep their first position.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for image in _scan(path, recursive):
                found.setdefault(image, None)
        else:
            found.setdefault(path, None)
    return list(found)


def _scan(folder: Path, recursive: bool) -> list[Path]:
    images: list[Path] = []
    subfolders: list[Path] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return images  # an unreadable sub-folder: nothing to list
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            if recursive:
                subfolders.append(path)
        elif os.path.splitext(entry.name)[1].lower() in IMAGE_EXTENSIONS:
            images.append(path)
    for subfolder in subfolders:
        images.extend(_scan(subfolder, recursive))
    return images
