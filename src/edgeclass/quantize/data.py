"""Labelled image folders (one sub-folder per class) turned into the runtime's exact tensors."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from edgeclass.errors import DataError

if TYPE_CHECKING:
    from edgeclass.runtime import Preprocessor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledImages:
    """Image files and their class index in the model's label order."""

    root: Path
    paths: tuple[Path, ...]
    targets: tuple[int, ...]
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.paths)


def scan_labelled_folder(
    root: str | Path, labels: Sequence[str], *, per_class_limit: int | None = None
) -> LabelledImages:
    """The runtime's labelled-folder scan (`edgeclass evaluate` reads the same files), with
    each file's class index in the model's label order."""
    from edgeclass.runtime.labelled_folder import scan_labelled_folder as scan

    files = scan(root, labels, per_class_limit=per_class_limit)
    paths = tuple(file.path for file in files)
    targets = tuple(labels.index(file.truth) for file in files)
    return LabelledImages(Path(root), paths, targets, tuple(labels))


def load_tensors(
    images: LabelledImages, preprocessor: Preprocessor
) -> tuple[np.ndarray, LabelledImages]:
    """(N, 3, H, W) float32 from the runtime's own loader and preprocessor.

    Files that cannot be decoded are skipped with a log line; the returned LabelledImages lists
    only the files that made it into the tensor, in the same order.
    """
    from edgeclass.runtime import ImageLoadError, load_image

    tensors: list[np.ndarray] = []
    kept_paths: list[Path] = []
    kept_targets: list[int] = []
    for path, target in zip(images.paths, images.targets, strict=True):
        try:
            image = load_image(path)
        except ImageLoadError as error:
            log.warning("skipping %s: %s", path, error.message)
            continue
        tensors.append(preprocessor(image))
        kept_paths.append(path)
        kept_targets.append(target)
    if not tensors:
        raise DataError(f"no image under {images.root} could be read")
    kept = LabelledImages(images.root, tuple(kept_paths), tuple(kept_targets), images.labels)
    return np.stack(tensors).astype(np.float32, copy=False), kept
