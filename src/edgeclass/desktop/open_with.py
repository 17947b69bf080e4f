"""“Open with edgeclass”: photos and folders handed over by the system at or after start.

Linux and Windows pass them on the command line (`edgeclass-desktop PATH...`, the .desktop
file's `%F`); macOS sends a QFileOpenEvent to the application instead, at launch or while it
runs. Paths that arrive before the window has its model wait until it does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QFileOpenEvent

OpenPaths = Callable[[list[str]], None]


class FileOpenEvents(QObject):
    """Collects QFileOpenEvent paths and hands them to `deliver_to`'s target."""

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self._pending: list[str] = []
        self._target: OpenPaths | None = None
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = event.file() or event.url().toLocalFile()
            if path:
                self.open([path])
            return True
        return False

    def open(self, paths: Sequence[str]) -> None:
        if self._target is None:
            self._pending.extend(paths)
        elif paths:
            self._target(list(paths))

    def deliver_to(self, target: OpenPaths) -> None:
        """From now on paths go to `target`; those that came earlier go now."""
        self._target = target
        pending, self._pending = self._pending, []
        self.open(pending)


def watch_file_open_events(app: QCoreApplication) -> FileOpenEvents | None:
    """On macOS only: an application-wide event filter costs every event a call into Python,
    and only macOS sends file-open events."""
    return FileOpenEvents(app) if sys.platform == "darwin" else None
