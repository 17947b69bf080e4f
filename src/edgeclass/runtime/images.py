"""Open any image file as an RGB Pillow image, or say precisely why not.

Colour conversion follows `transformers.image_utils.load_image` (the loader of the Hugging Face
pipelines): `ImageOps.exif_transpose`, then `Image.convert("RGB")`. So alpha is dropped, not
composited over a background, palette images take their palette colours, CMYK uses Pillow's
conversion, and the runtime's tensors match what the model saw in training. The one deliberate
difference is high bit depth: Pillow's convert clips 16-bit and 32-bit values at 255 (a 16-bit
photo turns almost white), so those modes are scaled to 8 bits here instead (see `_to_8bit`).
"""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from edgeclass.runtime.results import Status

# Pillow's own default (about 89.5 megapixels, a 0.25 GB RGB bitmap). Checked from the header,
# before any pixel is decoded, so a decompression bomb costs a few bytes of reading.
DEFAULT_MAX_PIXELS = 89_478_485

# What a corrupt file can make Pillow raise while decoding.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)

_SUFFIX_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jfif": "JPEG",
    ".png": "PNG",
    ".gif": "GIF",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}


class ImageLoadError(Exception):
    """A file that cannot be classified. `status` says which way it failed."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def load_image(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open `path` as an EXIF-oriented RGB image; raise ImageLoadError for anything else."""
    return load_image_and_format(path, max_pixels)[0]


def load_image_and_format(
    path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[Image.Image, str | None]:
    """load_image, plus the file's real format as Pillow detected it ("JPEG", "PNG", ...)."""
    path = Path(path)
    _check_file(path)
    try:
        with open(path, "rb") as file:
            return _decode(file, max_pixels)
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


def _decode(file, max_pixels: int) -> tuple[Image.Image, str | None]:
    try:
        image = Image.open(file)  # reads the header only
    except UnidentifiedImageError:
        raise ImageLoadError(Status.NOT_AN_IMAGE, "not an image Pillow can read") from None
    except Image.DecompressionBombError as error:
        raise ImageLoadError(Status.TOO_LARGE, str(error)) from None
    except _DECODE_ERRORS as error:
        raise ImageLoadError(Status.UNREADABLE, f"corrupt image header: {error}") from None
    # The file object is ours (closed by the caller), so the image needs no closing here.
    width, height = image.size
    if width * height > max_pixels:
        raise ImageLoadError(
            Status.TOO_LARGE,
            f"{width}x{height} pixels is over the limit of {max_pixels} "
            "(possible decompression bomb); refused before decoding",
        )
    image_format = image.format
    try:
        image.load()  # the first frame of an animation
        image = _exif_transpose(image)
        return to_rgb(image), image_format
    except Image.DecompressionBombError as error:
        raise ImageLoadError(Status.TOO_LARGE, str(error)) from None
    except _DECODE_ERRORS as error:
        raise ImageLoadError(
            Status.UNREADABLE, f"cannot decode {image_format or 'image'} data: {error}"
        ) from None


def _exif_transpose(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except (SyntaxError, ValueError, struct.error, KeyError, TypeError):
        # A broken EXIF block must not cost the photo: classify it as stored.
        return image


def suffix_mismatch(path: Path, image_format: str | None) -> str:
    """A note when the extension promises another format than the content has ('' if fine)."""
    expected = _SUFFIX_FORMATS.get(path.suffix.lower())
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
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    values = values.astype(np.int64)
    if image.mode.startswith("I;16") or (values.size and values.max() > 255):
        values = (np.clip(values, 0, 65535) * 255 + 32767) // 65535
    return np.clip(values, 0, 255).astype(np.uint8)
