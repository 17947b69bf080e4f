"""One image file (or binary file object) -> the model's input tensor, within a pixel budget.

This is the per-file work of a batch. Everything that can go wrong with the file itself ends as
an ImageLoadError (status + message), never as another exception: a batch must outlive any one
file. The budget bounds memory and time by the pixels really decoded and really produced by the
resize, not only by the size the header claims: a 101-byte 20000x1 PNG would otherwise become a
3,960,000x198 bitmap (7.4 GiB of work) for a 176x176 tensor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeclass.runtime.images import (
    DEFAULT_MAX_PIXELS,
    ImageLoadError,
    ImageSource,
    decode_image,
    suffix_mismatch,
    too_large_message,
)
from edgeclass.runtime.preprocess import Preprocessor
from edgeclass.runtime.results import Status


@dataclass(frozen=True)
class PreparedImage:
    tensor: np.ndarray  # (3, H, W) float32
    size: tuple[int, int]  # the full image's (width, height), upright
    note: str  # for the user, e.g. an extension that promises another format; "" if none


def prepare_image(
    source: ImageSource,
    preprocessor: Preprocessor,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    exact_decode: bool = False,
    name: str | None = None,
) -> PreparedImage:
    """Decode and preprocess one image; raise ImageLoadError for anything wrong with it.

    exact_decode=False (the default) decodes only the pixels the model needs (JPEG DCT scaling,
    then a whole-factor reduce, keeping the resize a downscale by DECODE_MARGIN) and resizes
    only the centre-crop box. exact_decode=True decodes every pixel and resizes as the Hugging
    Face image processor does, bit for bit. `name` (default: the path, if `source` is one) is
    only compared with the detected format, for the note; it is never opened.
    """
    reduce_for = None if exact_decode else preprocessor.max_reduction
    decoded = decode_image(source, max_pixels, reduce_for)
    width, height = decoded.size  # what the resize target is computed from, reduced or not
    produced = preprocessor.produced_size(width, height, crop_box_only=not exact_decode)
    if produced[0] * produced[1] > max_pixels:
        resized = preprocessor.resized_size(width, height)
        raise ImageLoadError(
            Status.TOO_LARGE,
            too_large_message(
                f"{width:,}x{height:,} pixels would be resized to "
                f"{resized[0]:,}x{resized[1]:,} ({resized[0] * resized[1]:,} pixels)",
                max_pixels,
            )
            + "; refused before resizing",
        )
    try:
        tensor = preprocessor(
            decoded.image,
            crop_box_only=not exact_decode,
            box=decoded.box,
            full_size=decoded.size,
        )
    except MemoryError:
        raise ImageLoadError(
            Status.TOO_LARGE, "not enough memory to resize this image for the model"
        ) from None
    except Exception as error:  # a batch must outlive any one file (see the module doc)
        raise ImageLoadError(
            Status.UNREADABLE,
            f"cannot resize this image for the model: {type(error).__name__}: {error}",
        ) from None
    if name is None and isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
    note = suffix_mismatch(Path(name), decoded.format) if name else ""
    return PreparedImage(tensor, decoded.size, note)
