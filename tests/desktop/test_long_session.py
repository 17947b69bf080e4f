"""A long session as a user has it: thousands of photos through the real worker and window,
Classify Again (Ctrl+R), then Quit (Ctrl+Q). The references to None, True and False that the
session takes must all be given back.

PySide6 6.12.0 dropped one reference to True on every signal emit and one to None on every Qt
call returning None; after about 5,000 photos the app aborted with "Fatal Python error:
none_dealloc" (issue 19) and every result was lost.
"""

from __future__ import annotations

import ctypes
import gc
import sys

import pytest
from desktop_helpers import classify_and_wait, write_images
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtWidgets import QApplication

SESSION_PHOTOS = 2_000
# Two runs over the photos make 4,000 classifications. A lost reference is what kills the app:
# a healthy binding loses none. A kept one only costs memory: PySide6 6.11.3 keeps one to None
# per Qt object made (about 470 for a window), while a per-photo leak would be 4,000 or more.
LOST_MARGIN = 50
KEPT_MARGIN = 1_500
SINGLETONS = {"None": None, "True": True, "False": False}
# Extra references held while the session runs, so that a leaking binding fails this test with
# its numbers instead of deallocating True or None and aborting the whole test run.
BALLAST = 100_000
# From Python 3.12 None, True and False are immortal: their counts never move, so a binding that
# loses references to them can no longer be seen (or crash the app): nothing to check there.
needs_mortal_singletons = pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None/True/False are immortal from Python 3.12"
)


def reference_counts() -> dict[str, int]:
    gc.collect()
    return {name: sys.getrefcount(value) for name, value in SINGLETONS.items()}


def give_back_lost_references(drift: dict[str, int]) -> None:
    """After a leaking binding, put back what it took, so the interpreter can exit normally."""
    for name, lost in drift.items():
        for _ in range(max(-lost, 0)):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(SINGLETONS[name]))


def assert_counts_kept(before: dict[str, int], after: dict[str, int], what: str) -> None:
    drift = {name: after[name] - before[name] for name in before}
    if any(change < -LOST_MARGIN or change > KEPT_MARGIN for change in drift.values()):
        give_back_lost_references(drift)
        pytest.fail(
            f"{what} changed the reference counts by {drift} (allowed: -{LOST_MARGIN} to "
            f"+{KEPT_MARGIN}). Lost references crash the app (PySide6 6.12.0 loses them; "
            "pyproject.toml excludes it); kept ones are a leak."
        )


class Emitter(QObject):
    plain = Signal()
    flag = Signal(bool)
    anything = Signal(object)


@needs_mortal_singletons
def test_the_qt_binding_keeps_reference_counts_through_signals_and_calls(qtbot) -> None:
    """The root cause, in a second: on 6.12.0 True ends 1,500 references short, None 500."""
    emitter = Emitter()
    received = []
    emitter.flag.connect(received.append)
    emitter.anything.connect(received.append)
    ballast = [None, True, False] * BALLAST
    before = reference_counts()
    for _ in range(500):
        emitter.plain.emit()
        emitter.flag.emit(False)
        emitter.anything.emit(None)
        emitter.setObjectName("emitter")  # returns None
    received.clear()
    after = reference_counts()
    del ballast
    assert_counts_kept(before, after, "1,500 signal emits and 500 calls")


def run_session(qtbot, settings, model_dir, folder, photos: int) -> None:
    """Open the window, classify `folder`, Classify Again (Ctrl+R), Quit (Ctrl+Q)."""
    from edgeclass.desktop.main_window import MainWindow

    window = MainWindow(settings)
    try:
        assert window.load_model(model_dir)
        window.show()
        classify_and_wait(qtbot, window, [folder], timeout=300_000)
        assert window.results_model.rowCount() == photos
        with qtbot.waitSignal(window.runFinished, timeout=300_000):
            window.rerun_action.trigger()
        assert window.results_model.rowCount() == photos
        assert all(result.ok for result in window.results_model.results())
    finally:
        window.quit_action.trigger()
    assert not window.isVisible()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()


@pytest.mark.slow
@needs_mortal_singletons
def test_a_long_session_classify_again_and_quit_keep_reference_counts(
    qtbot, tmp_path, settings, tiny_model_dir, dialogs
) -> None:
    write_images(tmp_path / "few", 8, size=(64, 48))
    write_images(tmp_path / "many", SESSION_PHOTOS, size=(64, 48))
    # A short session first: the imports and caches it fills hold references for good.
    run_session(qtbot, settings, tiny_model_dir, tmp_path / "few", 8)
    ballast = [None, True, False] * BALLAST
    before = reference_counts()

    run_session(qtbot, settings, tiny_model_dir, tmp_path / "many", SESSION_PHOTOS)

    after = reference_counts()
    del ballast
    assert not dialogs, dialogs
    assert_counts_kept(before, after, f"{SESSION_PHOTOS:,} photos, Classify Again and Quit")
