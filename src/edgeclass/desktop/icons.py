"""The app icon, from the package resources (works in a wheel and in a PyInstaller bundle)."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QIcon, QPixmap

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    icon = QIcon()
    folder = resources.files("edgeclass.resources") / "icons"
    for size in ICON_SIZES:
        data = (folder / f"edgeclass-{size}.png").read_bytes()
        pixmap = QPixmap()
        if pixmap.loadFromData(data, "PNG"):
            icon.addPixmap(pixmap)
    return icon
