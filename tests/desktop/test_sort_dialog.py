"""File > Sort into folders and Edit > Undo Sort, on real files through the real window."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from desktop_helpers import classify_and_wait, confirm_undo, write_images
from PySide6.QtCore import Qt
from sort_checks import assert_consistent, hashes, read_only, sha

from edgeclass.desktop.background import CANCELLED, FAILED, SUCCEEDED
from edgeclass.desktop.sort_commands import LAST_JOURNAL_KEY
from edgeclass.desktop.sort_dialog import SortDialog
from edgeclass.organize import Mode


@pytest.fixture
def photos(tmp_path, qtbot, window) -> Path:
    folder = tmp_path / "photos"
    write_images(folder, 6)
    (folder / "broken.jpg").write_text("not an image")
    classify_and_wait(qtbot, window, [folder])
    return folder


def open_dialog(qtbot, window, dest: Path, mode: Mode = Mode.COPY) -> SortDialog:
    dialog = window.sort_commands.open_sort_dialog()
    assert dialog is not None
    with qtbot.waitSignal(dialog.previewReady, timeout=60_000):
        dialog.set_destination(dest)  # the preview is planned on a worker thread
    dialog.set_mode(mode)
    return dialog


def sort_and_wait(qtbot, dialog: SortDialog) -> tuple[str, str]:
    with qtbot.waitSignal(dialog.sortEnded, timeout=60_000) as ended:
        dialog.start()
    return ended.args[0], ended.args[1]


def sorted_files(dest: Path) -> dict[str, str]:
    """{label/name: sha256} of the photos under dest (the hidden journal left out)."""
    return {
        f"{p.parent.name}/{p.name}": sha(p)
        for p in dest.rglob("*.jpg")
        if p.is_file() and not p.name.startswith(".")
    }


def test_preview_counts_come_from_the_results_in_the_window(tmp_path, qtbot, window, photos):
    dialog = open_dialog(qtbot, window, tmp_path / "sorted")
    plan = dialog.plan()
    labels = [r.label for r in window.results_model.results() if r.ok]
    assert sum(plan.counts().values()) == len(labels) == 6
    assert plan.counts() == {label: labels.count(label) for label in set(labels)}
    assert [f.path for f in plan.failures] == [str(photos / "broken.jpg")]
    assert dialog.preview.topLevelItemCount() == len(plan.counts())
    assert "1 could not be read" in dialog.summary.text()
    assert not (tmp_path / "sorted").exists()  # the preview touches nothing
    with qtbot.waitSignal(dialog.previewReady, timeout=60_000):
        dialog.set_threshold(1.0)  # nothing is that sure: all go to unknown
    assert dialog.plan().counts() == {"unknown": 6}
    dialog.reject()


def test_copy_keeps_the_originals_and_copies_every_byte(tmp_path, qtbot, window, photos):
    before = hashes(photos, "*.jpg")
    dest = tmp_path / "sorted"
    dialog = open_dialog(qtbot, window, dest)
    how, journal = sort_and_wait(qtbot, dialog)
    assert how == SUCCEEDED and Path(journal).parent == dest
    assert hashes(photos, "*.jpg") == before
    copied = sorted_files(dest)
    expected = {
        f"{r.label}/{Path(r.path).name}": before[Path(r.path).name]
        for r in window.results_model.results()
        if r.ok
    }
    assert copied == expected
    assert "Copied 6 of 6" in dialog.summary.text()
    assert [dialog.failures.item(i).text() for i in range(dialog.failures.count())] == [
        f"{photos / 'broken.jpg'}: " + dialog.plan().failures[0].message
    ]
    assert window.settings.value(LAST_JOURNAL_KEY) == journal


def test_a_clash_gets_a_number_and_the_old_file_is_kept(tmp_path, qtbot, window, photos):
    dest = tmp_path / "sorted"
    first = next(r for r in window.results_model.results() if r.ok)
    name = Path(first.path).name
    (dest / first.label).mkdir(parents=True)
    (dest / first.label / name).write_bytes(b"someone else's file")
    dialog = open_dialog(qtbot, window, dest)
    how, _journal = sort_and_wait(qtbot, dialog)
    assert how == SUCCEEDED
    assert (dest / first.label / name).read_bytes() == b"someone else's file"
    stem, suffix = name.rsplit(".", 1)
    assert sha(dest / first.label / f"{stem}-1.{suffix}") == sha(Path(first.path))


def test_move_then_undo_puts_every_byte_back(tmp_path, qtbot, window, photos, dialogs):
    before = hashes(photos, "*.jpg")
    dest = tmp_path / "sorted"
    dialog = open_dialog(qtbot, window, dest, Mode.MOVE)
    how, journal = sort_and_wait(qtbot, dialog)
    assert how == SUCCEEDED
    assert hashes(photos, "*.jpg") == {"broken.jpg": before["broken.jpg"]}  # failures stay
    assert sorted(h for h in sorted_files(dest).values()) == sorted(
        h for n, h in before.items() if n != "broken.jpg"
    )
    dialog.close()
    assert window.sort_commands.undo_action.isEnabled()
    with qtbot.waitSignal(window.sort_commands.undoEnded, timeout=60_000) as ended:
        confirm_undo(qtbot, window)
    assert ended.args[0] == "Moved 6 photos back."
    assert window.sort_commands.summary_box.text() == "Moved 6 photos back."
    assert hashes(photos, "*.jpg") == before
    assert sorted_files(dest) == {}
    assert [p.name for p in dest.iterdir()] == [Path(journal).name]  # label folders removed
    assert window.settings.value(LAST_JOURNAL_KEY, "") == ""  # nothing left to undo


def test_a_read_only_destination_is_a_clear_message_and_nothing_moves(
    tmp_path, qtbot, window, photos
):
    before = hashes(photos, "*.jpg")
    with read_only(tmp_path / "ro") as folder:
        dialog = open_dialog(qtbot, window, folder, Mode.MOVE)
        how, journal = sort_and_wait(qtbot, dialog)
        assert how == FAILED and journal == ""
        assert f"destination {folder} is read-only" in dialog.summary.text()
        assert list(folder.iterdir()) == []
    assert hashes(photos, "*.jpg") == before
    assert window.settings.value(LAST_JOURNAL_KEY, "") == ""


def test_cancel_mid_way_leaves_a_consistent_journal_that_undo_reverses(
    tmp_path, qtbot, window, dialogs
):
    folder = tmp_path / "many"
    write_images(folder, 40, size=(64, 48))
    classify_and_wait(qtbot, window, [folder])
    before = hashes(folder, "*.jpg")
    dialog = open_dialog(qtbot, window, tmp_path / "sorted", Mode.MOVE)
    task = dialog.prepare_task()

    def cancel_after_three(done: int, _total: int) -> None:
        if done >= 3:
            task.cancel()

    # Direct: called on the sort's own thread, so the cancel lands at a known point.
    task.progress.connect(cancel_after_three, Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(dialog.sortEnded, timeout=60_000) as ended:
        dialog.run_task(task)
    how, journal = ended.args
    assert how == CANCELLED
    assert dialog.outcome is not None and len(dialog.outcome.placed) == 3
    assert json.loads(Path(journal).read_text().splitlines()[-1]) == {
        "kind": "end",
        "cancelled": True,
    }
    assert assert_consistent(Path(journal), folder, before) == 3
    assert "then cancelled" in dialog.summary.text()
    dialog.close()
    with qtbot.waitSignal(window.sort_commands.undoEnded, timeout=60_000):
        confirm_undo(qtbot, window)
    assert hashes(folder, "*.jpg") == before


def test_sort_without_results_says_what_to_do(window, dialogs):
    assert window.sort_commands.open_sort_dialog() is None
    assert dialogs == [("Sort into folders", "Classify some photos first, then sort them.")]
