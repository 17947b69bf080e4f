"""Small previews made off the UI thread. They are QImage (thread-safe), never QPixmap."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QImage

from edgeclass.runtime.images import ImageLoadError, decode_image

THUMBNAIL_SIZE = 96  # pixels; shown at 48 logical pixels, so sharp at 200% scaling


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
    """A preview at most `size` pixels on its longer side, EXIF-rotated; None if unreadable.

    Decoded by the runtime's loader, so it shows the pixels the model is given (a 16-bit PNG
    scaled, not clipped; alpha dropped), at reduced size (JPEG at 1/2 .. 1/8 scale).
    """

    def reduce_for(width: int, height: int) -> int:
        # Keep twice the preview size, as Image.thumbnail's own reducing_gap does.
        return max(1, max(width, height) // (2 * size))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = decode_image(path, reduce_for=reduce_for).image
        image.thumbnail((size, size), Image.Resampling.BILINEAR)
        return pil_to_qimage(image)
    except ImageLoadError:
        return None


def load_preview(path: str | Path, max_side: int) -> QImage | None:
    """A larger preview for the detail pane (same rules as the thumbnail)."""
    return make_thumbnail(path, max_side)
