"""Counts, filters with counts, honest run summaries, re-drops, focus, scroll, selection,
export of what is shown, and the by-hand row actions: real window, real model, real files."""

from __future__ import annotations

import csv

from desktop_helpers import classify_and_wait, write_images
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication

from edgeclass.desktop.results_model import CONFIDENCE, FOLDER, LABEL, NAME, PROBLEMS


def test_status_bar_and_show_box_count_rows_per_label(qtbot, window, tmp_path):
    photos = write_images(tmp_path, 8)
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    classify_and_wait(qtbot, window, [tmp_path])
    results = window.results_model.results()
    labels = sorted({r.label for r in results if r.ok})
    summary = window.status_bar.summary_label.text()
    for label in labels:
        count = sum(r.label == label for r in results)
        assert f"{label} {count}" in summary
        index = window.label_combo.findData(label)
        assert window.label_combo.itemText(index) == f"{label} ({count})"
    assert "1 could not be read" in summary
    assert window.label_combo.itemText(0) == f"All labels ({len(photos) + 1})"

    window.set_label_filter(labels[0])
    shown = window.proxy.rowCount()
    assert f"showing {shown} of {len(photos) + 1}" in window.status_bar.summary_label.text()

    menu = window.menuBar().findChildren(type(window.menuBar().addMenu("x")))
    show_menu = next(m for m in menu if m.title() == "&Show")
    show_menu.aboutToShow.emit()
    texts = [a.text() for a in show_menu.actions()]
    assert f"{labels[0]} ({shown})" in texts
    problems = next(a for a in show_menu.actions() if a.data() == PROBLEMS)
    problems.trigger()
    assert window.proxy.rowCount() == 1


def test_the_end_of_run_summary_counts_failures_and_why(qtbot, window, tmp_path):
    good = write_images(tmp_path, 2)
    (tmp_path / "a-broken.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "b-empty.png").write_bytes(b"")
    classify_and_wait(qtbot, window, [*good, tmp_path / "a-broken.jpg", tmp_path / "b-empty.png"])
    summary = window.status_bar.last_run_summary
    assert summary.startswith("2 of 4 files classified")
    assert "2 failed (1 empty_file, 1 not_an_image)" in summary
    assert window.status_bar.run_label.text() == f"·   Last run: {summary}"


def test_re_dropping_retries_failed_rows_and_says_what_was_there(qtbot, window, tmp_path):
    good = write_images(tmp_path, 3)
    fixed_later = tmp_path / "fixed.jpg"
    fixed_later.write_bytes(b"")
    classify_and_wait(qtbot, window, [tmp_path])
    assert window.results_model.rowCount() == 4
    write_images(tmp_path / "tmp", 1)[0].rename(fixed_later)  # the user fixes the file
    (tmp_path / "tmp").rmdir()

    classify_and_wait(qtbot, window, [tmp_path])

    assert window.results_model.rowCount() == 4  # replaced in place, not added
    row = next(r for r in window.results_model.results() if r.path == str(fixed_later))
    assert row.ok
    assert "1 of 1 files classified" in window.status_bar.last_run_summary
    assert f"{len(good)} already classified, 1 retried" in window.status_bar.last_run_summary


def test_focus_starts_in_the_results_and_arrows_move_through_rows(qtbot, window, tmp_path):
    window.activateWindow()
    classify_and_wait(qtbot, window, write_images(tmp_path, 4))
    assert QApplication.focusWidget() is window.table
    threshold = window.threshold_spin.value()
    first = window.table.currentIndex().row()
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    assert window.table.currentIndex().row() == first + 1
    assert window.threshold_spin.value() == threshold


def test_a_new_filter_or_sort_starts_at_the_top(qtbot, window, tmp_path):
    window.resize(700, 400)
    classify_and_wait(qtbot, window, write_images(tmp_path, 40, size=(64, 48)))
    bar = window.table.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert bar.value() > 0
    window.table.sortByColumn(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    assert bar.value() == 0
    bar.setValue(bar.maximum())
    window.set_label_filter(window.label_combo.itemData(1))
    assert bar.value() == 0


def test_the_selected_row_stays_selected_and_in_view_while_rows_stream(qtbot, window, tmp_path):
    window.resize(700, 400)
    classify_and_wait(qtbot, window, write_images(tmp_path / "a", 30, size=(64, 48)))
    window.table.sortByColumn(NAME, Qt.SortOrder.DescendingOrder)
    last = window.proxy.rowCount() - 1
    window.table.selectRow(last)
    window.table.scrollToBottom()
    chosen = window.table.current_path()
    # 30 more names that sort after "img-" (descending: above the chosen row) push it down.
    classify_and_wait(qtbot, window, write_images(tmp_path / "b", 30, size=(64, 48), prefix="z"))
    assert window.table.current_path() == chosen
    rect = window.table.visualRect(window.table.currentIndex())
    assert window.table.viewport().rect().intersects(rect)


def test_same_named_files_show_their_folder(qtbot, window, tmp_path):
    write_images(tmp_path / "trip", 1)
    write_images(tmp_path / "home", 1)
    classify_and_wait(qtbot, window, [tmp_path])
    folders = {window.proxy.index(row, FOLDER).data() for row in range(2)}
    assert folders == {"trip", "home"}
    tips = {window.proxy.index(row, FOLDER).data(Qt.ItemDataRole.ToolTipRole) for row in range(2)}
    assert tips == {str(tmp_path / "trip"), str(tmp_path / "home")}


def test_a_failed_row_shows_its_whole_message(qtbot, window, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    classify_and_wait(qtbot, window, [broken])
    result = window.results_model.result_at(0)
    for column in (LABEL, CONFIDENCE):  # any cell of the row, not only Message
        tip = window.proxy.index(0, column).data(Qt.ItemDataRole.ToolTipRole)
        assert result.message in tip


def test_export_writes_what_is_shown_in_the_order_shown(qtbot, window, tmp_path, monkeypatch):
    classify_and_wait(qtbot, window, write_images(tmp_path / "photos", 6))
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"x")
    classify_and_wait(qtbot, window, [tmp_path / "photos" / "broken.jpg"])
    window.set_label_filter(PROBLEMS)
    (tmp_path / "out").mkdir()
    window.export_to(tmp_path / "out" / "problems.csv")
    with open(tmp_path / "out" / "problems.csv", newline="", encoding="utf-8") as stream:
        assert [row["path"] for row in csv.DictReader(stream)] == [
            str(tmp_path / "photos" / "broken.jpg")
        ]
    window.set_label_filter("")
    window.table.sortByColumn(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    window.export_to(tmp_path / "out" / "all.csv")
    with open(tmp_path / "out" / "all.csv", newline="", encoding="utf-8") as stream:
        exported = [row["path"] for row in csv.DictReader(stream)]
    assert exported == [window.table.result_at_row(r).path for r in range(7)]
    # The next export dialog starts in the folder of this export, not in the photo folder.
    assert window.prefs.export_folder() == str(tmp_path / "out")


def test_double_click_and_context_menu_open_show_and_copy(qtbot, window, tmp_path, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toLocalFile()))
    )
    photo = write_images(tmp_path, 1)[0]
    classify_and_wait(qtbot, window, [photo])
    rect = window.table.visualRect(window.proxy.index(0, NAME))
    # A double-click is a press, then the double-click on the same row (as Qt delivers it).
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [str(photo)]

    window.table.customContextMenuRequested.emit(rect.center())
    actions = {a.text(): a for a in window.table.context_menu.actions()}
    assert list(actions) == ["Preview\tSpace", "Open", "Show in Folder", "Copy Path"]
    actions["Show in Folder"].trigger()
    assert opened[-1] == str(tmp_path)
    actions["Copy Path"].trigger()
    assert QGuiApplication.clipboard().text() == str(photo)
    assert QUrl.fromLocalFile(opened[0]).isLocalFile()


def test_space_shows_the_photo_large(qtbot, window, tmp_path):
    photo = write_images(tmp_path, 1, size=(640, 480))[0]
    classify_and_wait(qtbot, window, [photo])
    window.table.setFocus()
    with qtbot.waitSignal(window.preview_dialog.shown, timeout=10_000) as shown:
        qtbot.keyClick(window.table, Qt.Key.Key_Space)
    assert shown.args == [str(photo)]
    image = window.preview_dialog.image_label.image()
    assert (image.width(), image.height()) == (640, 480)
    window.preview_dialog.close()


def test_use_default_model_forgets_the_chosen_one(qtbot, window, monkeypatch, tiny_model_dir):
    window.settings.setValue("model/last_dir", "/somewhere/else")
    monkeypatch.setattr("edgeclass.desktop.main_window.bundled_model_dir", lambda: tiny_model_dir)
    window.default_model_action.trigger()
    assert window.classifier.folder.path == tiny_model_dir
    assert window.settings.value("model/last_dir") is None


def test_the_grid_shows_the_same_rows_and_shares_the_selection(qtbot, window, tmp_path):
    photos = write_images(tmp_path, 5, size=(200, 100))
    (tmp_path / "broken.jpg").write_bytes(b"x")
    classify_and_wait(qtbot, window, [tmp_path])
    window.splitter.grid_action.trigger()
    grid = window.splitter.grid
    assert grid.isVisible() and not window.table.isVisible()
    assert grid.model() is window.proxy and grid.model().rowCount() == 6
    with qtbot.waitSignal(window.detail_pane.previewShown, timeout=10_000):
        grid.setCurrentIndex(window.proxy.index(3, 0))
    assert window.detail_pane.result().path == window.table.result_at_row(3).path
    window.set_label_filter(PROBLEMS)
    assert grid.model().rowCount() == 1
    window.set_label_filter("")
    grid.setFocus()
    grid.setCurrentIndex(window.proxy.index(1, 0))
    with qtbot.waitSignal(window.preview_dialog.shown, timeout=10_000) as shown:
        qtbot.keyClick(grid, Qt.Key.Key_Space)
    assert shown.args == [window.table.result_at_row(1).path]
    assert shown.args[0] in {str(p) for p in photos}
    window.preview_dialog.close()
    window.splitter.grid_action.trigger()
    assert window.table.isVisible() and not grid.isVisible()
