"""Turn the paths a user names into the ordered list of files to classify."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgeclass.image_formats import IMAGE_EXTENSIONS
from edgeclass.runtime.results import ClassificationResult, Status

if TYPE_CHECKING:
    from edgeclass.runtime.classifier import Classifier


@dataclass
class Discovery:
    """What a scan found, in output order.

    `items` holds a Path for each file to classify and, in its place, a finished result for each
    folder that could not be listed (`permission_error`, ...): a gap the user must hear about.
    """

    items: list[Path | ClassificationResult] = field(default_factory=list)
    skipped_subfolders: int = 0  # sub-folders not looked into (no `recursive`)

    @property
    def files(self) -> list[Path]:
        return [item for item in self.items if isinstance(item, Path)]

    @property
    def problems(self) -> list[ClassificationResult]:
        return [item for item in self.items if isinstance(item, ClassificationResult)]


def find_images(paths: Iterable[str | Path], recursive: bool = False) -> list[Path]:
    """The files to classify (see `discover`), without the folders that could not be read."""
    return discover(paths, recursive).files


def discover(paths: Iterable[str | Path], recursive: bool = False) -> Discovery:
    """Files to classify, in a deterministic order, and the folders that could not be read.

    A folder contributes its image files (by lower-cased extension), sorted by name; with
    `recursive`, its sub-folders too, depth first, at any depth (symlinked folders are not
    followed, so no loops). Hidden entries (names starting with ".", such as macOS
    `._photo.jpg` shadows) are skipped. Anything else named explicitly is kept as given,
    whatever its extension, even when it does not exist or cannot be reached (a name too long,
    a symbolic link loop, a NUL byte): the classifier then reports it with its own status
    instead of it vanishing silently. Duplicates keep their first position.
    """
    found = Discovery()
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        listed = _scan(path, recursive, found) if _is_folder(path) else [path]
        for item in listed:
            key = item if isinstance(item, Path) else Path(item.path)
            if key not in seen:
                seen.add(key)
                found.items.append(item)
    return found


def _is_folder(path: Path) -> bool:
    """Whether `path` is a folder (through symbolic links); False when it cannot be reached."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):  # ValueError: a NUL byte in the name
        return False


def _scan(root: Path, recursive: bool, found: Discovery) -> list[Path | ClassificationResult]:
    """The folder's files, then each sub-folder's, depth first; a stack, not recursion, so
    that no folder depth reaches Python's recursion limit."""
    items: list[Path | ClassificationResult] = []
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            items.append(_unlistable(folder, error))
            continue
        subfolders: list[Path] = []
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
                else:
                    found.skipped_subfolders += 1
            elif os.path.splitext(entry.name)[1].lower() in IMAGE_EXTENSIONS:
                items.append(path)
        pending.extend(reversed(subfolders))  # the first sub-folder is taken next
    return items


def _unlistable(folder: Path, error: OSError) -> ClassificationResult:
    reason = error.strerror or str(error)
    if error.errno in (errno.EACCES, errno.EPERM):
        status, message = Status.PERMISSION_ERROR, "permission denied: cannot list this folder"
    elif error.errno == errno.ENOENT:
        status, message = Status.NOT_FOUND, "folder disappeared while scanning"
    else:
        status, message = Status.UNREADABLE, f"cannot list this folder: {reason}"
    return ClassificationResult(str(folder), status, message=message)


def results_in_order(
    classifier: Classifier,
    items: Sequence[str | Path | ClassificationResult],
    **options: Any,
) -> Iterator[ClassificationResult]:
    """The classifier's results for the files, with results already known (a folder that could
    not be listed) in their places."""
    files = [item for item in items if not isinstance(item, ClassificationResult)]
    classified = classifier.classify_paths(files, **options)
    for item in items:
        yield item if isinstance(item, ClassificationResult) else next(classified)
