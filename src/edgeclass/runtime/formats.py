"""Which image files edgeclass reads: one list of extensions, and formats known but unreadable.

HEIC/HEIF (what iPhones save) is read through the optional `pillow-heif` plugin (the `heif`
extra). It is registered the first time a HEIF file is met, not at start-up: importing it costs
about 0.1 s, which every `edgeclass classify` would otherwise pay. AVIF is read by Pillow itself
(its PyPI wheels carry libavif since 11.3).
"""

from __future__ import annotations

import sys
import threading

HEIF_INSTALL_HINT = 'install the heif extra: pip install "edgeclass[heif]"'

# ISO base media files start with a `ftyp` box: size (4 bytes), "ftyp", then the major brand.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1"}
_AVIF_BRANDS = {b"avif", b"avis"}

_heif_lock = threading.Lock()
_heif_state: bool | None = None  # None: not tried yet


def sniff_container_format(header: bytes) -> str | None:
    """ "HEIF" or "AVIF" for an ISO base media image file header (its first 64 bytes), else None."""
    if len(header) < 12 or header[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(header[:4], "big")
    # The major brand, then the compatible brands (a `mif1` file may be AVIF or HEVC inside).
    brands = {header[i : i + 4] for i in range(8, min(box_size, len(header)) - 3, 4)}
    if brands & _AVIF_BRANDS:
        return "AVIF"
    if brands & _HEIF_BRANDS:
        return "HEIF"
    return None


def enable_heif() -> bool:
    """Register pillow-heif's HEIF opener with Pillow (once); False when it is not installed."""
    global _heif_state
    with _heif_lock:
        if _heif_state is None:
            try:
                from pillow_heif import register_heif_opener
            except ImportError:
                _heif_state = False
            else:
                register_heif_opener()
                _heif_state = True
        return _heif_state


def unsupported_message(image_format: str) -> str:
    """What to tell a user whose file is in `image_format`, which this installation cannot read."""
    if image_format in ("HEIF", "AVIF") and getattr(sys, "frozen", False):
        # The bundle ships both readers; a build made without them says so plainly.
        return (
            f"{image_format} image: this edgeclass app was built without {image_format} "
            "support; save the photo as JPEG"
        )
    if image_format == "HEIF":
        return f"HEIC/HEIF image, but HEIF support is not installed: {HEIF_INSTALL_HINT}"
    if image_format == "AVIF":
        return (
            "AVIF image, but this Pillow was built without AVIF support: "
            'install Pillow 11.3 or newer from PyPI (pip install -U "Pillow>=11.3")'
        )
    return f"{image_format} image: this format is not supported"
