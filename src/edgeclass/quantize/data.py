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
    """Images under `root/<label>/`, sorted; every sub-folder must be one of the model's labels.

    per_class_limit keeps the first N files of each class (sorted by name), which gives a
    deterministic, class-balanced subset for calibration.
    """
    from edgeclass.runtime import find_images

    folder = Path(root)
    if not folder.is_dir():
        raise DataError(f"{folder} does not exist or is not a folder")
    subfolders = sorted(
        p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    if not subfolders:
        raise DataError(
            f"{folder} has no class sub-folders; expected one folder per label: {', '.join(labels)}"
        )
    unknown = [name for name in subfolders if name not in labels]
    if unknown:
        raise DataError(
            f"{folder} has sub-folders that are not labels of the model: {', '.join(unknown)} "
            f"(the model's labels: {', '.join(labels)})"
        )
    paths: list[Path] = []
    targets: list[int] = []
    for name in subfolders:
        files = find_images([folder / name])
        if per_class_limit is not None:
            files = files[:per_class_limit]
        paths.extend(files)
        targets.extend([labels.index(name)] * len(files))
    if not paths:
        raise DataError(f"{folder} holds no image files")
    return LabelledImages(folder, tuple(paths), tuple(targets), tuple(labels))


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
