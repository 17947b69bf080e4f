"""Classify images that arrive as bytes (an upload, a socket), through the file loader's code.

The bytes go through the same loader as files on disk (`runtime.images`), so statuses, the pixel
budget, EXIF rotation, colour conversion and preprocessing are identical to `edgeclass classify`.
Nothing here ever opens a path: `name` is only echoed back in the result.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from edgeclass.runtime.classifier import Classifier
from edgeclass.runtime.decode_warnings import noted_warnings, with_notes
from edgeclass.runtime.images import ImageLoadError
from edgeclass.runtime.postprocess import make_result
from edgeclass.runtime.prepare import prepare_image
from edgeclass.runtime.results import ClassificationResult, Status


@dataclass(frozen=True)
class PreparedImage:
    """One decoded, preprocessed image, ready for a batch."""

    name: str
    tensor: np.ndarray  # (3, H, W) float32
    size: tuple[int, int]  # original (width, height)
    note: str  # e.g. "a .png name holding JPEG data"; "" when nothing to say


def prepare_bytes(classifier: Classifier, data: bytes, name: str = "") -> PreparedImage:
    """Decode and preprocess `data` as the classifier does a file; raise ImageLoadError if bad."""
    if not data:
        raise ImageLoadError(Status.EMPTY_FILE, "empty file (0 bytes)")
    with noted_warnings() as notes:
        prepared = prepare_image(
            io.BytesIO(data),
            classifier.preprocessor,
            max_pixels=classifier.max_pixels,
            exact_decode=classifier.exact_decode,
            name=name,
        )
    return PreparedImage(name, prepared.tensor, prepared.size, with_notes(prepared.note, notes))


def result_for(
    classifier: Classifier,
    prepared: PreparedImage,
    probabilities: np.ndarray,
    *,
    top_k: int,
    threshold: float,
) -> ClassificationResult:
    """The result `classify_paths` would give for this image and these probabilities."""
    return make_result(
        prepared.name,
        probabilities,
        classifier.labels,
        top_k=top_k,
        threshold=threshold,
        size=prepared.size,
        message=prepared.note,
    )


def failed_result(name: str, error: ImageLoadError) -> ClassificationResult:
    return ClassificationResult(name, error.status, message=error.message)


def classify_bytes(
    classifier: Classifier, data: bytes, name: str = "", *, top_k: int = 5, threshold: float = 0.0
) -> ClassificationResult:
    """One image's result, with no batching: a bad image is a result with its status."""
    try:
        prepared = prepare_bytes(classifier, data, name)
    except ImageLoadError as error:
        return failed_result(name, error)
    probabilities = classifier.predict(prepared.tensor[np.newaxis])[0]
    return result_for(classifier, prepared, probabilities, top_k=top_k, threshold=threshold)


def classify_many(
    classifier: Classifier,
    images: Iterable[tuple[bytes, str]],
    *,
    batch_size: int = 2,
    top_k: int = 5,
    threshold: float = 0.0,
) -> list[ClassificationResult]:
    """Results for (bytes, name) pairs, in their order: decoded on the classifier's decode
    threads, then run through the model `batch_size` images at a time; a bad image is a result.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")

    def prepare(item: tuple[bytes, str]) -> PreparedImage | ClassificationResult:
        data, name = item
        try:
            return prepare_bytes(classifier, data, name)
        except ImageLoadError as error:
            return failed_result(name, error)

    with ThreadPoolExecutor(classifier.decode_threads) as pool:
        prepared = list(pool.map(prepare, images))
    decoded = [item for item in prepared if isinstance(item, PreparedImage)]
    batches = (decoded[i : i + batch_size] for i in range(0, len(decoded), batch_size))
    rows = iter(
        [
            row
            for batch in batches
            for row in classifier.predict(np.stack([p.tensor for p in batch]))
        ]
    )
    return [
        item
        if isinstance(item, ClassificationResult)
        else result_for(classifier, item, next(rows), top_k=top_k, threshold=threshold)
        for item in prepared
    ]
