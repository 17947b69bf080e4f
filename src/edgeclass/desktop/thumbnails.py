"""Small previews made off the UI thread. They are QImage (thread-safe), never QPixmap."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, ImageOps
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

THUMBNAIL_SIZE = 96  # pixels; shown at 48 logical pixels, so sharp at 200% scaling
EXIF_ORIENTATION = 0x0112


def pil_to_qimage(image: Image.Image) -> QImage:
    """A deep copy, so the QImage does not point into Python bytes that may be freed."""
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    data = image.tobytes()
    if image.mode == "RGBA":
        layout = (4 * image.width, QImage.Format.Format_RGBA8888)
    else:
        layout = (3 * image.width, QImage.Format.Format_RGB888)
    return QImage(data, image.width, image.height, *layout).copy()


def make_thumbnail(path: str | Path, size: int = THUMBNAIL_SIZE) -> QImage | None:
    """A preview at most `size` pixels on its longer side, EXIF-rotated; None if unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                # JPEG decodes straight at 1/2 .. 1/8 scale: far cheaper than a full decode.
                image.draft("RGB", (size, size))
                image.thumbnail((size, size), Image.Resampling.BILINEAR)
                # Rotating the small picture is cheaper, and gives the same result.
                if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
                    image = ImageOps.exif_transpose(image)
                return pil_to_qimage(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def load_preview(path: str | Path, max_side: int) -> QImage | None:
    """A larger preview for the detail pane (same rules as the thumbnail)."""
    return make_thumbnail(path, max_side)


def scaled_to(image: QImage, width: int, height: int) -> QImage:
    return image.scaled(
        width,
        height,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
