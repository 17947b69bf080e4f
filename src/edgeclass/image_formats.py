"""The one list of image file extensions edgeclass reads (stdlib only: `--help` imports it).

The folder scan, the trainer's scan, `edgeclass classify --help`, the docs and the desktop file
dialog all come from here. Formats and how each is decoded: edgeclass/runtime/formats.py.
"""

from __future__ import annotations

# Lower-cased file name endings a folder scan picks up, and the format each one promises.
SUFFIX_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jfif": "JPEG",
    ".png": "PNG",
    ".gif": "GIF",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".ppm": "PPM",
    ".pgm": "PPM",
    ".heic": "HEIF",
    ".heif": "HEIF",
    ".avif": "AVIF",
}
IMAGE_EXTENSIONS = frozenset(SUFFIX_FORMATS)
# The MIME type of each ending: packaging/linux/edgeclass.desktop offers to open these (a test
# keeps the two lists the same).
SUFFIX_MIME_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jfif": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".ppm": "image/x-portable-pixmap",
    ".pgm": "image/x-portable-graymap",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
}


def extensions_text(separator: str = " ") -> str:
    """The extensions for help texts, sorted: `.avif .bmp .gif ...`."""
    return separator.join(sorted(IMAGE_EXTENSIONS))


def file_dialog_filter() -> str:
    """A Qt file dialog name filter built from IMAGE_EXTENSIONS."""
    patterns = " ".join(f"*{suffix}" for suffix in sorted(IMAGE_EXTENSIONS))
    return f"Images ({patterns});;All files (*)"
