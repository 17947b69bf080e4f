"""Sort -> Undo Sort through the real dialogs: the Sort dialog, the confirmation, the progress
dialog and the summary, with every slot on the GUI thread (the autouse `gui_thread_only` guard
of conftest.py fails a test whose code touches a widget from a worker thread)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from desktop_helpers import classify_and_wait, write_images
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from sort_checks import hashes

from edgeclass.desktop.background import SUCCEEDED, Task, TaskRunner
from edgeclass.desktop.sort_commands import LAST_JOURNAL_KEY
from edgeclass.desktop.sort_dialog import SortDialog
from edgeclass.organize import Mode

PHOTOS = 120


def current() -> str:
    return threading.current_thread().name


def test_every_slot_of_a_task_runs_on_the_gui_thread(qtbot):
    """A bound method, a lambda and a closure alike: PySide6 runs a plain callable in its
    sender's thread, so the Task must not live on the worker (the cause of the Undo freeze)."""
    threads: dict[str, str] = {}

    class Plain:  # not a QObject
        def ended(self, _how: str) -> None:
            threads["method of a plain object"] = threading.current_thread().name

    def closure(_how: str) -> None:
        threads["closure"] = threading.current_thread().name

    def work(cancel, on_progress):
        on_progress("step", 1, 1)
        threads["work"] = threading.current_thread().name
        return 42

    plain, owner = Plain(), QObject()
    runner = TaskRunner(owner)
    task = Task(work)
    task.progress.connect(lambda *_: threads.setdefault("lambda", current()))
    task.succeeded.connect(lambda *_: threads.setdefault("succeeded", current()))
    task.ended.connect(plain.ended)
    task.ended.connect(closure)
    with qtbot.waitSignal(task.ended, timeout=30_000) as ended:
        runner.start(task)
    qtbot.waitUntil(lambda: len(threads) == 5, timeout=10_000)
    runner.wait_all()
    assert ended.args == [SUCCEEDED]
    main = threading.main_thread().name
    assert threads.pop("work") != main  # the work itself is off the GUI thread
    assert threads == dict.fromkeys(
        ["lambda", "succeeded", "method of a plain object", "closure"], main
    )


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def photos(tmp_path, qtbot, window) -> Path:
    folder = tmp_path / "photos"
    write_images(folder, PHOTOS, size=(64, 48))
    classify_and_wait(qtbot, window, [folder], timeout=120_000)
    return folder


def open_sort_dialog(qtbot, window, dest: Path) -> SortDialog:
    dialog = window.sort_commands.open_sort_dialog()
    assert dialog is not None and dialog.isVisible()
    with qtbot.waitSignal(dialog.previewReady, timeout=60_000):
        dialog.set_destination(dest)
    dialog.set_mode(Mode.MOVE)
    return dialog


def button(widget, text: str) -> QPushButton:
    found = [b for b in widget.findChildren(QPushButton) if b.text().replace("&", "") == text]
    assert len(found) == 1, [b.text() for b in widget.findChildren(QPushButton)]
    return found[0]


def held_at(task: Task, step: int) -> tuple[threading.Event, threading.Event]:
    """The task's worker waits at progress `step` until `release` is set: a click on the GUI
    thread then lands at a known point. Returns (reached, release)."""
    reached, release = threading.Event(), threading.Event()

    def hold(done: int, _total: int) -> None:
        if done == step:
            reached.set()
            release.wait(30)

    task.progress.connect(hold, Qt.ConnectionType.DirectConnection)  # on the worker, on purpose
    return reached, release


def on_undo_start(monkeypatch, window, hook) -> None:
    """`hook(task)` runs as the undo's Task is started, before its thread runs."""
    runner = window.sort_commands.runner
    start = runner.start

    def started(task: Task) -> None:
        hook(task)
        start(task)

    monkeypatch.setattr(runner, "start", started)


def ctrl_z(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def answer_confirmation(qtbot, window, answer: str) -> str:
    """Ctrl+Z, then the confirmation's text; `answer` is the button clicked."""
    ctrl_z(qtbot, window)
    box = window.sort_commands.confirmation
    assert box is not None and box.isVisible()
    assert QApplication.activeModalWidget() is box
    text = box.text()
    qtbot.mouseClick(button(box, answer), Qt.MouseButton.LeftButton)
    return text


def close_summary(qtbot, window) -> str:
    box = window.sort_commands.summary_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    text = box.text()
    qtbot.mouseClick(button(box, "OK"), Qt.MouseButton.LeftButton)
    assert window.sort_commands.summary_box is None
    return text


def paths_in_rows(window) -> set[str]:
    return {r.path for r in window.results_model.results()}


# --- Sort, then Undo -------------------------------------------------------------------------


def test_sort_then_undo_through_the_real_dialogs(tmp_path, qtbot, window, photos, monkeypatch):
    before = hashes(photos, "*.jpg")
    original_rows = paths_in_rows(window)
    dest = tmp_path / "sorted"
    dialog = open_sort_dialog(qtbot, window, dest)
    with qtbot.waitSignal(dialog.sortEnded, timeout=60_000) as ended:
        qtbot.mouseClick(dialog.sort_button, Qt.MouseButton.LeftButton)
    assert ended.args[0] == SUCCEEDED
    assert hashes(photos, "*.jpg") == {}
    assert len(hashes(dest, "*.jpg")) == PHOTOS
    assert all(Path(p).is_relative_to(dest) for p in paths_in_rows(window))  # rows followed
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.sort_commands.dialog is None)
    assert window.sort_commands.undo_action.isEnabled()

    # Asked first; Cancel changes nothing.
    question = answer_confirmation(qtbot, window, "Cancel")
    assert question == (
        f"Undo the last sort? {PHOTOS} photos will be moved back to where they were."
    )
    assert len(hashes(dest, "*.jpg")) == PHOTOS
    assert window.sort_commands.undo_action.isEnabled()

    # Undo Sort, with the progress dialog on screen while it runs.
    window.sort_commands.progress_delay_ms = 0
    seen: list[tuple[int, bool]] = []

    def watch(task: Task) -> None:
        def progressed(done: int, total: int) -> None:
            progress = window.sort_commands.undo_progress
            seen.append((done, progress is not None and progress.isVisible()))
            assert progress is not None and progress.maximum() == total == PHOTOS

        task.progress.connect(progressed)

    on_undo_start(monkeypatch, window, watch)
    with qtbot.waitSignal(window.sort_commands.undoEnded, timeout=60_000) as undone:
        answer_confirmation(qtbot, window, "Undo Sort")
    assert undone.args == [f"Moved {PHOTOS} photos back."]
    assert seen[-1] == (PHOTOS, True)  # shown, and still up at the last step
    assert window.sort_commands.undo_progress is None
    assert close_summary(qtbot, window) == f"Moved {PHOTOS} photos back."

    assert hashes(photos, "*.jpg") == before
    assert hashes(dest, "*.jpg") == {}
    assert paths_in_rows(window) == original_rows
    # The journal is forgotten: nothing left to undo, Ctrl+Z is off and says so when forced.
    assert window.settings.value(LAST_JOURNAL_KEY, "") == ""
    assert not window.sort_commands.undo_action.isEnabled()
    ctrl_z(qtbot, window)
    assert window.sort_commands.confirmation is None


def test_nothing_to_undo_says_so(qtbot, window, dialogs):
    assert not window.sort_commands.undo_action.isEnabled()
    assert window.sort_commands.undo_last_sort() is None
    assert dialogs == [("Undo sort", "There is no sort to undo.")]


def test_cancel_mid_move_and_mid_undo_say_how_far_they_got(
    tmp_path, qtbot, window, photos, monkeypatch
):
    before = hashes(photos, "*.jpg")
    dest = tmp_path / "sorted"
    dialog = open_sort_dialog(qtbot, window, dest)
    task = dialog.prepare_task()
    reached, release = held_at(task, 30)
    with qtbot.waitSignal(dialog.sortEnded, timeout=60_000) as ended:
        dialog.run_task(task)  # what the Sort button does
        qtbot.waitUntil(reached.is_set, timeout=30_000)
        assert dialog.close_button.text() == "Cancel"
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
        release.set()
    assert ended.args[0] == "cancelled"
    # The dialog stays open with the summary; the rest of the photos never moved.
    assert dialog.isVisible() and dialog.close_button.text() == "Close"
    assert dialog.summary.text() == (
        f"Moved 30 of {PHOTOS} photo(s) into {dest}, then cancelled: the rest stay where they "
        "are. Edit > Undo Sort puts these photos back."
    )
    assert len(hashes(dest, "*.jpg")) == 30
    assert len(hashes(photos, "*.jpg")) == PHOTOS - 30
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.sort_commands.dialog is None)

    # Undo, stopped with the progress dialog's Stop button after 10 of the 30.
    window.sort_commands.progress_delay_ms = 0
    held: list[tuple[threading.Event, threading.Event]] = []

    def hold_the_first(undo: Task) -> None:
        if not held:
            held.append(held_at(undo, 10))

    on_undo_start(monkeypatch, window, hold_the_first)
    with qtbot.waitSignal(window.sort_commands.undoEnded, timeout=60_000) as undone:
        question = answer_confirmation(qtbot, window, "Undo Sort")
        assert question.startswith("Undo the last sort? 30 photos will be moved back")
        reached, release = held[0]
        qtbot.waitUntil(reached.is_set, timeout=30_000)
        progress = window.sort_commands.undo_progress
        qtbot.waitUntil(lambda: progress.isVisible(), timeout=10_000)
        qtbot.mouseClick(button(progress, "Stop"), Qt.MouseButton.LeftButton)
        release.set()
    summary = "Moved 10 of 30 photos back, then stopped: Undo Sort moves the rest back."
    assert undone.args == [summary]
    assert close_summary(qtbot, window) == summary
    assert len(hashes(dest, "*.jpg")) == 20

    # Still something to undo: Undo Sort finishes the job.
    assert window.sort_commands.undo_action.isEnabled()
    with qtbot.waitSignal(window.sort_commands.undoEnded, timeout=60_000) as undone:
        question = answer_confirmation(qtbot, window, "Undo Sort")
    assert question.startswith("Undo the last sort? 20 photos will be moved back")
    assert undone.args == ["Moved 20 photos back."]
    close_summary(qtbot, window)
    assert hashes(photos, "*.jpg") == before
    assert not window.sort_commands.undo_action.isEnabled()


def test_undo_of_a_copy_asks_before_deleting_the_copies(tmp_path, qtbot, window, photos):
    dest = tmp_path / "sorted"
    dialog = open_sort_dialog(qtbot, window, dest)
    dialog.set_mode(Mode.COPY)
    with qtbot.waitSignal(dialog.sortEnded, timeout=60_000):
        qtbot.mouseClick(dialog.sort_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.sort_commands.dialog is None)
    with qtbot.waitSignal(window.sort_commands.undoEnded, timeout=60_000) as undone:
        question = answer_confirmation(qtbot, window, "Undo Sort")
    assert question == (
        f"Undo the last sort? {PHOTOS} copies will be deleted (the original photos stay where "
        "they are)."
    )
    assert undone.args == [f"Deleted {PHOTOS} copies."]
    close_summary(qtbot, window)
    assert hashes(dest, "*.jpg") == {}
    assert len(hashes(photos, "*.jpg")) == PHOTOS
