"""Why this label: occlusion sensitivity on the model's own input.

A patch of the image's mean colour is slid over the preprocessed input; each occluded copy goes
through the model (in batches) and the drop of the label's probability is credited to the pixels
the patch hid. Every pixel's heat is the mean drop over the patches that covered it: high where
hiding the pixel's neighbourhood costs the label most. It shows where the evidence lies, at the
patch's scale; it says nothing about what in that region the model reacts to, and evidence
spread over the whole image (colour, texture everywhere) makes no hot spot at all.

The model's input is made as for classifying, within the classifier's budgets: `explain_file`
decodes and resizes through `Classifier.prepare_file` (runtime/prepare.py: the pixel limit, only
the pixels the model needs, only the centre-crop box resized), so a 101-byte 20000x1 PNG costs a
crop-sized bitmap, not the 3,520,000x176 one a plain resize would make first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from edgeclass.errors import Cancelled
from edgeclass.runtime.classifier import Classifier
from edgeclass.runtime.images import ImageLoadError, to_rgb, too_large_message
from edgeclass.runtime.preprocess import Preprocessor
from edgeclass.runtime.progress import ProgressCallback, no_progress
from edgeclass.runtime.results import Status

# About 10 x 10 windows, each patch twice the stride (32 px moved by 16 on a 176 px input):
# 100 occluded copies, 0.99 s for the bundled model on 2 busy cores (load 5), against 0.46 s
# for 7 x 7 (coarse) and 2.1 s for 15 x 15.
WINDOWS_PER_SIDE = 11


@dataclass(frozen=True)
class OcclusionMap:
    heat: np.ndarray  # (H, W) float32, the input's size: mean probability drop, may be < 0
    label: str
    probability: float  # the label's probability on the unoccluded input
    patch: int
    stride: int
    view: Image.Image  # the model's input as an RGB image (resized and cropped)


def default_window(height: int, width: int) -> tuple[int, int]:
    stride = max(1, min(height, width) // WINDOWS_PER_SIDE)
    return 2 * stride, stride


def _starts(size: int, patch: int, stride: int) -> list[int]:
    """Window positions covering every pixel: the last one flush with the edge."""
    starts = list(range(0, max(size - patch, 0) + 1, stride))
    if starts[-1] + patch < size:
        starts.append(size - patch)
    return starts


def explain_file(
    classifier: Classifier,
    path: str | Path,
    *,
    label: str | None = None,
    patch: int | None = None,
    stride: int | None = None,
    batch_size: int = 8,
    cancel: threading.Event | None = None,
    on_progress: ProgressCallback = no_progress,
) -> OcclusionMap:
    """The occlusion map of `label` (default: the predicted one) on the photo at `path`.

    The photo becomes the model's input exactly as `classifier.classify_paths` makes it, with
    the same budgets. Raises ImageLoadError for a file that cannot be classified (its status
    and message), Cancelled and ValueError as `occlusion_map` does.
    """
    tensor = classifier.prepare_file(path)
    return occlusion_of_input(
        classifier,
        tensor,
        label=label,
        patch=patch,
        stride=stride,
        batch_size=batch_size,
        cancel=cancel,
        on_progress=on_progress,
    )


def occlusion_map(
    classifier: Classifier,
    image: Image.Image,
    *,
    label: str | None = None,
    patch: int | None = None,
    stride: int | None = None,
    batch_size: int = 8,
    cancel: threading.Event | None = None,
    on_progress: ProgressCallback = no_progress,
) -> OcclusionMap:
    """The occlusion map of `label` (default: the predicted one) on `image` (an RGB photo).

    Raises ImageLoadError (too_large) when resizing `image` for the model would make a bitmap
    over the classifier's pixel limit, Cancelled when `cancel` is set (checked between
    batches), ValueError for a label the model does not have.
    """
    return occlusion_of_input(
        classifier,
        model_input(classifier, image),
        label=label,
        patch=patch,
        stride=stride,
        batch_size=batch_size,
        cancel=cancel,
        on_progress=on_progress,
    )


def model_input(classifier: Classifier, image: Image.Image) -> np.ndarray:
    """`image` as the model's input, resized as `classifier` resizes files (only the crop box
    unless it decodes exactly), refused before resizing when that is over its pixel limit."""
    rgb = to_rgb(image)
    crop_box_only = not classifier.exact_decode
    width, height = classifier.preprocessor.produced_size(*rgb.size, crop_box_only=crop_box_only)
    if width * height > classifier.max_pixels:
        raise ImageLoadError(
            Status.TOO_LARGE,
            too_large_message(
                f"{rgb.width:,}x{rgb.height:,} pixels would be resized to "
                f"{width:,}x{height:,} ({width * height:,} pixels)",
                classifier.max_pixels,
            )
            + "; refused before resizing",
        )
    return classifier.preprocessor(rgb, crop_box_only=crop_box_only)


def occlusion_of_input(
    classifier: Classifier,
    tensor: np.ndarray,
    *,
    label: str | None = None,
    patch: int | None = None,
    stride: int | None = None,
    batch_size: int = 8,
    cancel: threading.Event | None = None,
    on_progress: ProgressCallback = no_progress,
) -> OcclusionMap:
    """The occlusion map on the model's input `tensor` (3, H, W), as the preprocessor made it."""
    _, height, width = tensor.shape
    default_patch, default_stride = default_window(height, width)
    patch = min(patch or default_patch, height, width)
    stride = stride or default_stride
    base = classifier.predict(tensor[np.newaxis])[0]
    if label is None:
        index = int(np.argmax(base))
    elif label in classifier.labels:
        index = classifier.labels.index(label)
    else:
        raise ValueError(f"unknown label {label!r}; the model's labels: {classifier.labels}")
    fill = tensor.mean(axis=(1, 2), keepdims=True)
    rows, columns = _starts(height, patch, stride), _starts(width, patch, stride)
    windows = [(y, x) for y in rows for x in columns]
    total = np.zeros((height, width), np.float64)
    covered = np.zeros((height, width), np.float64)
    on_progress("explain", 0, len(windows))
    for first in range(0, len(windows), batch_size):
        if cancel is not None and cancel.is_set():
            raise Cancelled("explanation cancelled")
        group = windows[first : first + batch_size]
        batch = np.repeat(tensor[np.newaxis], len(group), axis=0)
        for row, (y, x) in enumerate(group):
            batch[row, :, y : y + patch, x : x + patch] = fill
        drops = base[index] - classifier.predict(batch)[:, index]
        for (y, x), drop in zip(group, drops, strict=True):
            total[y : y + patch, x : x + patch] += drop
            covered[y : y + patch, x : x + patch] += 1
        on_progress("explain", first + len(group), len(windows))
    heat = (total / np.maximum(covered, 1)).astype(np.float32)
    return OcclusionMap(
        heat=heat,
        label=classifier.labels[index],
        probability=float(base[index]),
        patch=patch,
        stride=stride,
        view=tensor_to_view(tensor, classifier.preprocessor),
    )


def tensor_to_view(tensor: np.ndarray, preprocessor: Preprocessor) -> Image.Image:
    """Undo the preprocessor's per-pixel steps: the (3, H, W) tensor as the RGB image it was."""
    values = tensor[::-1] if preprocessor.flip_channel_order else tensor
    values = values.transpose(1, 2, 0).astype(np.float64)
    if preprocessor.image_mean is not None and preprocessor.image_std is not None:
        values = values * np.asarray(preprocessor.image_std) + np.asarray(preprocessor.image_mean)
    if preprocessor.rescale_factor:
        values = values / preprocessor.rescale_factor
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="RGB")
