"""Widgets are touched on the GUI thread only: a guard the desktop tests install around the
calls a slot makes to show results (a unique module name: tests/ has no packages).

Qt does not check: a widget changed from a worker thread works most of the time, and now and
then freezes the window or crashes in libQt6Gui. The guard wraps those calls; one made from any
other thread is recorded and not passed on (so the test fails, not the process), and the test
fails at its end listing where it happened.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QLabel, QMessageBox, QProgressDialog, QWidget

from edgeclass.desktop.results_model import ResultsModel

# (class, method names) whose calls must come from the GUI thread. No C++ virtual function
# (setVisible, open, exec...): a Python attribute of that name would pass for an override in
# every widget class and be called by Qt itself.
GUARDED: list[tuple[type, tuple[str, ...]]] = [
    (
        QWidget,
        ("show", "hide", "close", "setEnabled", "update", "setAttribute", "setWindowTitle"),
    ),
    (QLabel, ("setText",)),
    (QAbstractButton, ("setText",)),
    (QProgressDialog, ("setValue", "setMaximum", "setRange", "setLabelText", "cancel")),
    (QMessageBox, ("setText", "information", "warning", "critical", "question")),
    (QAction, ("setEnabled",)),
    (QSettings, ("setValue", "remove")),
    (ResultsModel, ("relocate", "append_results")),
]


class GuiThreadGuard:
    def __init__(self) -> None:
        self.violations: list[str] = []

    def wrap(self, owner: type, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        is_static = isinstance(owner.__dict__.get(name), staticmethod) or name in (
            "information",
            "warning",
            "critical",
            "question",
        )

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is threading.main_thread():
                return original(*args, **kwargs)
            where = "".join(traceback.format_stack(limit=4)[:-1])
            self.violations.append(
                f"{owner.__name__}.{name} on thread {threading.current_thread().name}:\n{where}"
            )
            return None

        return staticmethod(guarded) if is_static else guarded

    def install(self, monkeypatch: Any) -> None:
        for owner, names in GUARDED:
            for name in names:
                original = getattr(owner, name)
                monkeypatch.setattr(owner, name, self.wrap(owner, name, original))
