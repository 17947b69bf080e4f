"""After File > Sort into Folders with move, the rows point to the photos' new place; after
Edit > Undo Sort, back to the old one (detail pane, preview, open and export read the row)."""

from __future__ import annotations

import csv
from pathlib import Path

from desktop_helpers import classify_and_wait, confirm_undo, write_images

from edgeclass.desktop.background import SUCCEEDED
from edgeclass.desktop.results_model import ResultRole
from edgeclass.desktop.sort_commands import moves_of_sort
from edgeclass.organize import Mode, apply_plan, plan_sort
from edgeclass.runtime.results import ClassificationResult, Status


def test_rows_follow_the_photos_when_sorted_by_move_and_back_on_undo(tmp_path, qtbot, window):
    photos = tmp_path / "photos"
    write_images(photos, 5)
    (photos / "broken.jpg").write_text("not an image")
    classify_and_wait(qtbot, window, [photos])
    before = {Path(r.path).name: r.path for r in window.results_model.results()}
    window.table.setCurrentIndex(window.proxy.index(0, 0))
    dest = tmp_path / "sorted"

    dialog = window.sort_commands.open_sort_dialog()
    with qtbot.waitSignal(dialog.previewReady, timeout=60_000):
        dialog.set_destination(dest)
    dialog.set_mode(Mode.MOVE)
    with qtbot.waitSignal(dialog.sortEnded, timeout=60_000) as ended:
        dialog.start()
    assert ended.args[0] == SUCCEEDED
    dialog.close()

    rows = window.results_model.results()
    moved = [r for r in rows if r.ok]
    assert len(moved) == 5
    for result in moved:
        assert Path(result.path) == dest / result.label / Path(result.path).name
        assert Path(result.path).is_file()
    broken = next(r for r in rows if not r.ok)
    assert broken.path == before["broken.jpg"]  # not sorted: it stays where it was
    shown = window.detail_pane.result()
    assert shown == window.table.currentIndex().data(ResultRole) and Path(shown.path).is_file()
    with open(window.export_to(tmp_path / "shown.csv"), newline="") as stream:
        exported = {row["path"] for row in csv.DictReader(stream)}
    assert exported == {r.path for r in rows}

    with qtbot.waitSignal(window.sort_commands.undoEnded, timeout=60_000):
        confirm_undo(qtbot, window)
    assert {Path(r.path).name: r.path for r in window.results_model.results()} == before
    assert Path(window.detail_pane.result().path).parent == photos


def test_a_sort_stopped_by_an_error_still_tells_the_rows_what_moved(tmp_path):
    # DestinationError (disk full) leaves no outcome: the journal alone says what was moved.
    photos = write_images(tmp_path / "photos", 3)
    results = [ClassificationResult(str(p), Status.OK, "cat", 0.9, (("cat", 0.9),)) for p in photos]
    dest = tmp_path / "sorted"
    journal = dest / "journal.jsonl"
    dest.mkdir()
    outcome = apply_plan(plan_sort(results, dest), Mode.MOVE, journal)
    expected = {str(p): str(dest / "cat" / p.name) for p in photos}
    assert moves_of_sort(outcome, journal) == expected
    assert moves_of_sort(None, journal) == expected
    assert moves_of_sort(None, None) == {}
