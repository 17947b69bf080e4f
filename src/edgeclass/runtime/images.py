"""Open any image file as an RGB Pillow image, or say precisely why not.

Colour conversion follows `transformers.image_utils.load_image` (the loader of the Hugging Face
pipelines): EXIF orientation, then `Image.convert("RGB")`. So alpha is dropped, not composited
over a background, palette images take their palette colours, CMYK uses Pillow's conversion,
and the runtime's tensors match what the model saw in training. The one deliberate difference is
high bit depth: Pillow's convert clips 16-bit and 32-bit values at 255 (a 16-bit photo turns
almost white), so those modes are scaled to 8 bits here instead (see `_to_8bit`).

Reduced decoding: `decode_image(..., reduce_for=...)` decodes fewer pixels when the caller needs
fewer. A JPEG is decoded at 1/2, 1/4 or 1/8 scale inside libjpeg (`Image.draft`, DCT scaling);
any image is then shrunk by a whole factor with `Image.reduce` (box averaging). Both round the
size up, so the last row and column of the result cover less of the picture than the others;
`DecodedImage.box` says which part of the bitmap the full picture maps to, and the resize reads
that box (without it a 4032x2561 photo decoded at 1/8 is stretched by 0.9 of a pixel, which
moved the model's input 6x further from the exact path's). The trainer, the desktop thumbnails
and the runtime all decode through this module, so they see the same pixels.
"""

from __future__ import annotations

import math
import os
import re
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from edgeclass.image_formats import SUFFIX_FORMATS
from edgeclass.runtime import formats
from edgeclass.runtime.results import Status

# Pillow's own default (about 89.5 megapixels, a 0.25 GB RGB bitmap). Checked on the pixels that
# will really be decoded, from the header, before any pixel is decoded: a decompression bomb
# costs a few bytes of reading, and a 108 MP phone JPEG decoded at 1/8 scale passes.
DEFAULT_MAX_PIXELS = 89_478_485

# What a corrupt file can make Pillow raise while decoding.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)

EXIF_ORIENTATION = 0x0112
# What ImageOps.exif_transpose does for each EXIF orientation value.
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SWAPS_AXES = {
    Image.Transpose.TRANSPOSE,
    Image.Transpose.TRANSVERSE,
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_270,
}

# (width, height) after EXIF orientation -> the largest whole factor it may be shrunk by.
ReduceFor = Callable[[int, int], int]
ImageSource = str | os.PathLike[str] | BinaryIO
Box = tuple[float, float, float, float]


class ImageLoadError(Exception):
    """A file that cannot be classified. `status` says which way it failed."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class DecodedImage:
    """An RGB, upright image; `size` is the full picture's (width, height), upright.

    `box`: (left, top, right, bottom) of `image`, in its pixels, that the full picture maps to
    when it was decoded reduced and the sizes did not divide evenly; None: all of it.
    """

    image: Image.Image
    format: str | None
    size: tuple[int, int]
    box: Box | None = None


def too_large_message(what: str, limit: int) -> str:
    """The one wording of every `too_large` message: numbers with thousands separators."""
    return f"{what}: over the limit of {limit:,} pixels for one image"


def _pixels(width: int, height: int) -> str:
    return f"{width:,}x{height:,} pixels ({width * height:,})"


def load_image(source: ImageSource, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open `source` (path or binary file) as an upright RGB image at full size.

    Raises ImageLoadError for anything else.
    """
    return decode_image(source, max_pixels).image


def decode_image(
    source: ImageSource,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    reduce_for: ReduceFor | None = None,
) -> DecodedImage:
    """Decode `source` (a path or a binary file object) as an upright RGB image.

    With `reduce_for`, fewer pixels are decoded: it gets the upright full size and returns the
    largest whole factor the image may be shrunk by. Without it, every pixel is decoded exactly
    as `transformers.image_utils.load_image` would. Anything that goes wrong with the file,
    whatever Pillow or numpy raise, MemoryError included, becomes an ImageLoadError.
    """
    if not isinstance(source, (str, os.PathLike)):
        return _decode_guarded(source, max_pixels, reduce_for)
    path = Path(source)
    _check_file(path)
    try:
        with open(path, "rb") as file:
            return _decode_guarded(file, max_pixels, reduce_for)
    except PermissionError as error:
        raise ImageLoadError(
            Status.PERMISSION_ERROR, f"permission denied: {error.strerror}"
        ) from None
    except FileNotFoundError:
        raise ImageLoadError(Status.NOT_FOUND, "file disappeared while reading") from None


def _check_file(path: Path) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ImageLoadError(
                Status.NOT_FOUND, f"broken symbolic link to {os.readlink(path)}"
            ) from None
        raise ImageLoadError(Status.NOT_FOUND, "no such file") from None
    except PermissionError as error:
        raise ImageLoadError(
            Status.PERMISSION_ERROR, f"permission denied: {error.strerror}"
        ) from None
    except OSError as error:  # e.g. a symlink loop, a name too long
        raise ImageLoadError(Status.NOT_FOUND, f"cannot access: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageLoadError(Status.IS_DIRECTORY, "is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise ImageLoadError(Status.NOT_AN_IMAGE, "not a regular file")
    if info.st_size == 0:
        raise ImageLoadError(Status.EMPTY_FILE, "empty file (0 bytes)")


def _decode_guarded(file: BinaryIO, max_pixels: int, reduce_for: ReduceFor | None) -> DecodedImage:
    # One file must never end a batch: whatever escapes the expected cases below (an
    # OverflowError from an absurd size, a codec's own error type) is that file's status.
    try:
        return _decode(file, max_pixels, reduce_for)
    except (ImageLoadError, PermissionError, FileNotFoundError):
        raise
    except MemoryError:
        raise ImageLoadError(Status.TOO_LARGE, "not enough memory to decode this image") from None
    except Exception as error:
        raise ImageLoadError(
            Status.UNREADABLE, f"cannot decode image data: {type(error).__name__}: {error}"
        ) from None


def _open(file: BinaryIO) -> Image.Image:
    """Image.open (header only), enabling the HEIF plugin when a HEIF file needs it."""
    start = file.tell()
    try:
        return Image.open(file)
    except UnidentifiedImageError:
        file.seek(start)
        container = formats.sniff_container_format(file.read(64))
        file.seek(start)
        if container == "HEIF" and formats.enable_heif():
            return Image.open(file)  # now registered; an error here is a real decode error
        if container is not None:
            raise ImageLoadError(
                Status.UNSUPPORTED_FORMAT, formats.unsupported_message(container)
            ) from None
        raise


def _decode(file: BinaryIO, max_pixels: int, reduce_for: ReduceFor | None) -> DecodedImage:
    try:
        image = _open(file)
    except UnidentifiedImageError:
        raise ImageLoadError(Status.NOT_AN_IMAGE, "not an image Pillow can read") from None
    except Image.DecompressionBombError as error:
        raise ImageLoadError(Status.TOO_LARGE, _bomb_message(error, max_pixels)) from None
    except _DECODE_ERRORS as error:
        raise ImageLoadError(Status.UNREADABLE, f"corrupt image header: {error}") from None
    # The file object is ours (the caller's), so the image needs no closing here.
    image_format = image.format
    stored_size = image.size
    transpose = None
    scale = 1.0  # stored pixels per decoded pixel
    if image_format == "JPEG":
        # JPEG's EXIF sits in the header; other formats may need the pixels read first (PNG's
        # getexif decodes the image), so theirs is read after the pixel check below.
        transpose = _orientation_transpose(image)
        if reduce_for is not None:
            scale = _draft(image, transpose, reduce_for)
    width, height = image.size  # after any draft: what will really be decoded
    if width * height > max_pixels:
        raise ImageLoadError(
            Status.TOO_LARGE,
            too_large_message(f"{_pixels(width, height)} to decode", max_pixels)
            + "; refused before decoding",
        )
    try:
        image.load()  # the first frame of an animation
    except Image.DecompressionBombError as error:
        raise ImageLoadError(Status.TOO_LARGE, _bomb_message(error, max_pixels)) from None
    except _DECODE_ERRORS as error:
        raise ImageLoadError(
            Status.UNREADABLE, f"cannot decode {image_format or 'image'} data: {error}"
        ) from None
    if image_format != "JPEG":
        transpose = _orientation_transpose(image)
    rgb = to_rgb(image)
    if reduce_for is not None:
        factor = reduce_for(*_upright(rgb.size, transpose))
        if factor >= 2:
            rgb = rgb.reduce(factor)
            scale *= factor
    box = None
    covered = (stored_size[0] / scale, stored_size[1] / scale)
    if covered != rgb.size:
        box = _transposed_box(covered, rgb.size, transpose)
    if transpose is not None:
        rgb = rgb.transpose(transpose)
    return DecodedImage(rgb, image_format, _upright(stored_size, transpose), box)


def _transposed_box(
    covered: tuple[float, float], size: tuple[int, int], transpose: Image.Transpose | None
) -> Box:
    """Where the box (0, 0, *covered) of a size bitmap lands once `transpose` is applied."""
    (w, h), (x, y) = size, covered
    corners = {
        None: (0, 0, x, y),
        Image.Transpose.FLIP_LEFT_RIGHT: (w - x, 0, w, y),
        Image.Transpose.FLIP_TOP_BOTTOM: (0, h - y, x, h),
        Image.Transpose.ROTATE_180: (w - x, h - y, w, h),
        Image.Transpose.TRANSPOSE: (0, 0, y, x),
        Image.Transpose.ROTATE_90: (0, w - x, y, w),
        Image.Transpose.ROTATE_270: (h - y, 0, h, x),
        Image.Transpose.TRANSVERSE: (h - y, w - x, h, w),
    }
    left, top, right, bottom = corners[transpose]
    return (float(left), float(top), float(right), float(bottom))


def _upright(size: tuple[int, int], transpose: Image.Transpose | None) -> tuple[int, int]:
    return (size[1], size[0]) if transpose in _SWAPS_AXES else size


def _draft(image: Image.Image, transpose: Image.Transpose | None, reduce_for: ReduceFor) -> float:
    """Have libjpeg decode at 1/2, 1/4 or 1/8 scale, as far as `reduce_for` allows.

    Returns the scale (stored pixels per decoded pixel), 1.0 when not drafted."""
    factor = reduce_for(*_upright(image.size, transpose))
    if factor < 2:
        return 1.0
    width, height = image.size
    # draft picks the largest of 1/2, 1/4, 1/8 that keeps at least this size.
    drafted = image.draft("RGB", (math.ceil(width / factor), math.ceil(height / factor)))
    if drafted is None:
        return 1.0
    return width / drafted[1][2]  # draft's box is (0, 0, width / scale, height / scale)


def _orientation_transpose(image: Image.Image) -> Image.Transpose | None:
    try:
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    except (SyntaxError, ValueError, struct.error, KeyError, TypeError, OSError):
        # A broken EXIF block must not cost the photo: classify it as stored.
        return None
    return _ORIENTATION_TRANSPOSE.get(orientation) if isinstance(orientation, int) else None


def _bomb_message(error: Exception, limit: int) -> str:
    """Pillow refuses images over twice its limit while opening; say so in our own words."""
    claimed = re.search(r"\d+", str(error))
    what = f"{int(claimed.group()):,} pixels" if claimed else "this image"
    return too_large_message(what, limit) + "; refused before decoding"


def suffix_mismatch(path: Path, image_format: str | None) -> str:
    """A note when the extension promises another format than the content has ('' if fine)."""
    expected = SUFFIX_FORMATS.get(path.suffix.lower())
    if expected and image_format and image_format != expected:
        return f"{path.suffix} file holds {image_format} data"
    return ""


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB, as `Image.convert("RGB")` does, but high bit depth scaled."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return Image.fromarray(_to_8bit(image), mode="L").convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        # Same colours as a direct convert, without Pillow's warning about byte transparency.
        return image.convert("RGBA").convert("RGB")
    return image.convert("RGB")


def _to_8bit(image: Image.Image) -> np.ndarray:
    """Grey levels 0..255 from a 16-bit, 32-bit integer or float single-channel image.

    I;16*: 0..65535 maps linearly onto 0..255 (v * 255 / 65535, rounded). I: treated the same
    when any value exceeds 255 (16-bit PNG/TIFF data often opens as I), else as 8-bit data.
    F: 0.0..1.0 maps onto 0..255 when every value is within 0..1, else values are taken as 0..255.
    Out-of-range values are clipped.
    """
    values = np.asarray(image)
    if image.mode == "F":
        values = values.astype(np.float64)
        finite = values[np.isfinite(values)]
        if finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
            values = values * 255.0
        values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
        rounded: np.ndarray = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        return rounded
    # uint32 holds 65535 * 255 + 32767 and takes half the memory of int64 on a big image.
    values = np.clip(values, 0, 65535).astype(np.uint32)
    if image.mode.startswith("I;16") or (values.size and values.max() > 255):
        values = (values * 255 + 32767) // 65535
    narrowed: np.ndarray = values.astype(np.uint8)
    return narrowed
