"""The QApplication: its identity (QSettings location), icon, palette and thread pool.

Its own module so that the app's entry point (app.py) and the self-test, which app.py starts,
both import it without importing each other.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


def create_application(argv: Sequence[str] = (), color_scheme: str = "system") -> QApplication:
    """The QApplication with its identity (QSettings location), icon and palette."""
    from PySide6.QtCore import QCoreApplication, Qt, QThreadPool
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from edgeclass import __version__
    from edgeclass.desktop.icons import app_icon
    from edgeclass.desktop.theme import apply_color_scheme

    # The UI thread shares the GIL with the classification threads; a shorter switch interval
    # lets it take the GIL back sooner, so repaints and input are not kept waiting.
    sys.setswitchinterval(0.001)
    existing = QApplication.instance()
    if existing is not None and not isinstance(existing, QApplication):
        raise RuntimeError("A QCoreApplication without widgets is already running.")
    app = existing
    if app is None:
        # Qt 6 is high-DPI aware by default; pass fractional scales (125%, 150%) through as is.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(["edgeclass-desktop", *argv])
    QCoreApplication.setOrganizationName("edgeclass")
    QCoreApplication.setOrganizationDomain("edgeclass.invalid")
    QCoreApplication.setApplicationName("edgeclass")
    QCoreApplication.setApplicationVersion(__version__)
    QGuiApplication.setApplicationDisplayName("edgeclass")
    QGuiApplication.setDesktopFileName("edgeclass")
    app.setWindowIcon(app_icon())
    # One pool thread classifies; another must stay free for the detail pane's previews.
    pool = QThreadPool.globalInstance()
    pool.setMaxThreadCount(max(pool.maxThreadCount(), 2))
    _windows_taskbar_identity()
    apply_color_scheme(app, color_scheme)
    return app


def _windows_taskbar_identity() -> None:
    """Run from python.exe, Windows would group the window under Python's icon in the taskbar."""
    if sys.platform != "win32":
        return
    import contextlib
    import ctypes

    # An old Windows without the call keeps the default grouping, which is harmless.
    with contextlib.suppress(AttributeError, OSError):
        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID("edgeclass.desktop")
