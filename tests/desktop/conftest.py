"""Real Qt widgets, offscreen, on the tiny real ONNX model in tests/fixtures."""

from __future__ import annotations

import os

# Before anything imports Qt: no display needed, here or in CI.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading

import pytest
from gui_thread import GuiThreadGuard
from PySide6.QtCore import QSettings, QThreadPool
from PySide6.QtWidgets import QMessageBox

# `tiny_model_dir` (tests/fixtures/tiny_mobilevit) comes from tests/conftest.py.


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Every test must leave no Qt pool thread and no decode thread running."""
    yield
    pool = QThreadPool.globalInstance()
    assert pool.waitForDone(10_000), "a QThreadPool worker did not finish"
    assert pool.activeThreadCount() == 0
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("edgeclass-decode")]
    assert not leaked, f"decode threads still running: {leaked}"


@pytest.fixture(autouse=True)
def gui_thread_only(monkeypatch) -> GuiThreadGuard:
    """Fails a test in which a widget, the settings or the rows were touched from a thread
    other than the GUI thread (tests/desktop/gui_thread.py)."""
    guard = GuiThreadGuard()
    guard.install(monkeypatch)
    yield guard
    assert guard.violations == [], "\n".join(guard.violations)


@pytest.fixture
def settings(tmp_path) -> QSettings:
    """A private settings file, so tests never touch the user's own settings."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def dialogs(monkeypatch) -> list[tuple[str, str]]:
    """Records error dialogs instead of showing them (a modal box would block the test)."""
    calls: list[tuple[str, str]] = []

    def critical(parent, title, text, *args, **kwargs):
        calls.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "critical", staticmethod(critical))
    monkeypatch.setattr(QMessageBox, "information", staticmethod(critical))
    return calls


@pytest.fixture
def window(qtbot, settings, tiny_model_dir, dialogs):
    from edgeclass.desktop.main_window import MainWindow

    main_window = MainWindow(settings)
    qtbot.addWidget(main_window)
    assert main_window.load_model(tiny_model_dir)
    main_window.show()
    yield main_window
    main_window.cancel()
    QThreadPool.globalInstance().waitForDone(10_000)
