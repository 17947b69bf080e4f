"""What a photo tool should feel like (issue 23, item 4), on the real window, offscreen:
grid tiles, the preview's arrow keys, the keyboard context menu, a double-click with no viewer,
unknown rows, the Evaluation dialog, folders told apart, export, status text, focus."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from desktop_helpers import classify_and_wait, write_images
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontMetrics, QImage
from PySide6.QtWidgets import QAbstractItemView, QApplication

from edgeclass.desktop.elided_label import ELLIPSIS, elide_at_word
from edgeclass.desktop.evaluation_view import EvaluationDialog
from edgeclass.desktop.results_grid import MIN_TILE_WIDTH, TileDelegate
from edgeclass.desktop.results_model import CONFIDENCE, FOLDER, LABEL, NAME, RIGHT_COLOUR
from edgeclass.runtime.evaluation import Evaluation, Prediction
from edgeclass.runtime.results import UNKNOWN_LABEL, Status


def labelled(root, labels, count=3):
    for offset, label in enumerate(labels):
        write_images(root / label, count, prefix=f"{label}{offset}")
    return root


# --- the grid ---------------------------------------------------------------------------------


def test_each_tile_says_its_label_confidence_and_right_or_wrong(qtbot, window, tmp_path):
    photos = labelled(tmp_path / "photos", window.classifier.labels)
    (photos / window.classifier.labels[0] / "broken.jpg").write_bytes(b"x")
    classify_and_wait(qtbot, window, [photos])
    model, proxy = window.results_model, window.proxy
    seen = set()
    for row in range(proxy.rowCount()):
        result = window.table.result_at_row(row)
        name, answer = TileDelegate.tile_text(proxy.index(row, 0))
        assert name == proxy.index(row, NAME).data()
        if not result.ok:
            assert answer == "Not an image"
            continue
        right = model.is_right(result)
        mark = "✓ " if right else "✗ "
        assert answer == f"{mark}{result.label}  {proxy.index(row, CONFIDENCE).data()}"
        seen.add(right)
    assert seen  # at least one answer was marked


def tile_pixels(grid, row: int) -> np.ndarray:
    image = grid.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rect = grid.visualRect(grid.model().index(row, 0))
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine()
    )[:, : 3 * image.width()]
    pixels = pixels.reshape(image.height(), image.width(), 3)
    # A copy: the array must not outlive the QImage whose memory it reads.
    return pixels[rect.top() : rect.bottom(), rect.left() : rect.right()].copy()


def test_the_grid_fills_its_width_and_shows_the_selection(qtbot, window, tmp_path):
    classify_and_wait(qtbot, window, write_images(tmp_path, 12, size=(200, 150)))
    window.splitter.grid_action.trigger()
    grid = window.splitter.grid
    qtbot.waitUntil(lambda: grid.visualRect(window.proxy.index(0, 0)).isValid())
    tile = grid.gridSize()
    assert tile.width() >= MIN_TILE_WIDTH
    # The tiles of the first row reach across the view: no empty strip on the right.
    first_row = [grid.visualRect(window.proxy.index(r, 0)) for r in range(12)]
    first_row = [rect for rect in first_row if rect.top() == first_row[0].top()]
    assert 1 < len(first_row) < 12
    assert grid.viewport().width() - first_row[-1].right() < tile.width() // 4
    # The whole tile fits its cell: picture and two lines of text.
    assert tile.height() >= 96 + 2 * grid.fontMetrics().height()
    window.table.selectRow(2)
    QApplication.processEvents()
    base = grid.palette().color(grid.palette().ColorRole.Base)
    base_rgb = np.array([base.red(), base.green(), base.blue()])

    def margin_tint(pixels: np.ndarray) -> float:
        """How far the tile's left margin (beside the picture) is from the plain background."""
        margin = pixels[:, 2:10].astype(int)
        return float(np.abs(margin - base_rgb).sum(axis=2).mean())

    assert margin_tint(tile_pixels(grid, 3)) < 1  # not selected: plain background
    assert margin_tint(tile_pixels(grid, 2)) > 20  # selected: tinted and framed
    window.splitter.grid_action.trigger()


def test_tiles_arriving_during_a_run_are_laid_out_whole(qtbot, window, tmp_path):
    window.threshold_spin.setFocus()  # where the keyboard is when the window opens
    window.splitter.grid_action.trigger()  # Ctrl+G before any photo
    classify_and_wait(qtbot, window, write_images(tmp_path, 30, size=(64, 48)))
    grid = window.splitter.grid
    rects = [grid.visualRect(window.proxy.index(row, 0)) for row in range(30)]
    assert len({(r.width(), r.height()) for r in rects}) == 1  # every tile the same size
    assert all(r.width() == grid.gridSize().width() for r in rects)
    assert grid.hasFocus() and not window.threshold_spin.hasFocus()  # the arrows browse tiles
    window.splitter.grid_action.trigger()


# --- preview, context menu, double-click ------------------------------------------------------


def test_the_preview_goes_through_the_photos_with_the_arrow_keys(qtbot, window, tmp_path):
    classify_and_wait(qtbot, window, write_images(tmp_path, 4, size=(320, 240)))
    window.table.selectRow(0)
    window.table.setFocus()
    preview = window.preview_dialog
    with qtbot.waitSignal(preview.shown, timeout=10_000):
        qtbot.keyClick(window.table, Qt.Key.Key_Space)
    first = window.table.result_at_row(0)
    assert preview.caption.text().startswith(window.proxy.index(0, NAME).data())
    assert preview.answer.text() == f"{first.label} {window.proxy.index(0, CONFIDENCE).data()}"
    assert preview.caption.text().endswith("1 of 4")
    with qtbot.waitSignal(preview.shown, timeout=10_000) as shown:
        qtbot.keyClick(preview, Qt.Key.Key_Right)
    assert shown.args == [window.table.result_at_row(1).path]
    assert window.table.currentIndex().row() == 1  # the table follows
    assert window.detail_pane.result().path == shown.args[0]
    assert "2 of 4" in preview.caption.text()
    with qtbot.waitSignal(preview.shown, timeout=10_000) as shown:
        qtbot.keyClick(preview, Qt.Key.Key_Left)
    assert shown.args == [first.path]
    qtbot.keyClick(preview, Qt.Key.Key_Left)  # the first photo: nowhere further to go
    assert preview.path() == first.path
    preview.close()


@pytest.mark.parametrize("grid", [False, True], ids=["table", "grid"])
def test_shift_f10_opens_the_context_menu_of_the_current_photo(qtbot, window, tmp_path, grid):
    classify_and_wait(qtbot, window, write_images(tmp_path, 3))
    if grid:
        window.splitter.grid_action.trigger()
    view = window.splitter.grid if grid else window.table
    window.table.selectRow(2)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    menu = window.table.context_menu
    assert menu.isVisible()
    assert [a.text() for a in menu.actions()][:2] == ["Preview\tSpace", "Open"]
    with qtbot.waitSignal(window.preview_dialog.shown, timeout=10_000) as shown:
        menu.actions()[0].trigger()
    assert shown.args == [window.table.result_at_row(2).path]
    menu.close()
    window.preview_dialog.close()


def test_a_double_click_with_no_viewer_says_so(qtbot, window, tmp_path, dialogs):
    """The offscreen platform has no way to open files, as a desktop without an image viewer."""
    photo = write_images(tmp_path, 1)[0]
    classify_and_wait(qtbot, window, [photo])
    rect = window.table.visualRect(window.proxy.index(0, NAME))
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialogs and dialogs[-1][0] == "No program opens this photo"
    assert photo.name in dialogs[-1][1] and "Space shows it large" in dialogs[-1][1]


# --- rows -------------------------------------------------------------------------------------


def test_unknown_rows_are_not_green_and_say_whose_confidence_they_show(qtbot, window, tmp_path):
    photos = labelled(tmp_path / "photos", window.classifier.labels, count=2)
    classify_and_wait(qtbot, window, [photos])
    model = window.results_model
    window.threshold_spin.setValue(100)  # nothing is that sure: every row reads unknown
    for row in range(model.rowCount()):
        result = model.result_at(row)
        assert model.index(row, LABEL).data() == UNKNOWN_LABEL
        assert model.index(row, LABEL).data(Qt.ItemDataRole.ForegroundRole) != RIGHT_COLOUR
        best, score = result.top_k[0]
        assert model.index(row, CONFIDENCE).data() == f"{best} {score * 100:.1f}%"
        assert model.index(row, LABEL).data(Qt.ItemDataRole.FontRole).italic()
        assert best in model.index(row, CONFIDENCE).data(Qt.ItemDataRole.ToolTipRole)
    window.threshold_spin.setValue(0)
    colours = [model.index(r, LABEL).data(Qt.ItemDataRole.ForegroundRole) for r in range(4)]
    assert all(colour is not None for colour in colours)  # answers again, right or wrong


def test_same_named_folders_are_told_apart(qtbot, window, tmp_path):
    write_images(tmp_path / "Pictures" / "2019" / "cat", 1, prefix="a")
    write_images(tmp_path / "Pictures" / "2023" / "cat", 1, prefix="b")
    write_images(tmp_path / "Pictures", 1, prefix="c")
    classify_and_wait(qtbot, window, [tmp_path / "Pictures"])
    folders = {window.proxy.index(r, FOLDER).data() for r in range(3)}
    assert folders == {"2019/cat", "2023/cat", "Pictures"}
    window.table.sortByColumn(FOLDER, Qt.SortOrder.AscendingOrder)
    shown = [window.proxy.index(r, FOLDER).data() for r in range(3)]
    assert shown == ["2019/cat", "2023/cat", "Pictures"]


def test_sorting_keeps_the_selection_and_sorts_streamed_rows_in_place(qtbot, window, tmp_path):
    classify_and_wait(qtbot, window, write_images(tmp_path / "a", 20, size=(64, 48)))
    window.table.sortByColumn(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    window.table.selectRow(5)
    chosen = window.table.current_path()
    classify_and_wait(qtbot, window, write_images(tmp_path / "b", 20, size=(64, 48), prefix="z"))
    scores = [window.table.result_at_row(r).score for r in range(window.proxy.rowCount())]
    assert len(scores) == 40 and scores == sorted(scores, reverse=True)
    assert window.table.current_path() == chosen
    assert window.table.selected_rows() == [window.table.currentIndex().row()]


# --- the Evaluation dialog --------------------------------------------------------------------


def test_the_evaluation_dialog_is_read_only_and_lists_the_mistakes(qtbot):
    labels = ("cat", "dog")
    # Every 7th photo wrong: 1,058 right per label, so the confusion's counts need a comma.
    predictions = [
        Prediction(
            f"/p/{i}.jpg",
            labels[i % 2],
            Status.OK,
            labels[(i + (i % 7 == 0)) % 2],
            0.5 + i / 5000,
        )
        for i in range(2468)
    ]
    evaluation = Evaluation("/p", labels, tuple(predictions))
    dialog = EvaluationDialog(evaluation)
    qtbot.addWidget(dialog)
    dialog.show()
    right = sum(p.correct for p in predictions)
    assert dialog.headline.text() == f"Accuracy {right / 2468:.1%}: {right:,} of 2,468 right"
    for table in (dialog.per_class, dialog.confusion, dialog.mistakes):
        assert table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert dialog.per_class.item(0, 0).text() == "1,234"
    assert any("," in dialog.confusion.item(r, c).text() for r in range(2) for c in range(2))
    mistakes = evaluation.mistakes
    assert dialog.mistakes.rowCount() == len(mistakes) > 0
    assert dialog.mistakes.item(0, 0).text() == mistakes[0].path.rsplit("/", 1)[1]
    assert [dialog.mistakes.item(r, 2).text() for r in range(3)] == [
        str(m.label) for m in mistakes[:3]
    ]
    rect = dialog.mistakes.visualItemRect(dialog.mistakes.item(0, 1))
    qtbot.mouseDClick(dialog.mistakes.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.mistakes.state() != QAbstractItemView.State.EditingState


def test_a_mistake_double_clicked_is_selected_in_the_window(qtbot, window, tmp_path):
    labels = window.classifier.labels
    photos = tmp_path / "photos"
    labelled(photos, labels, count=4)
    classify_and_wait(qtbot, window, [photos])
    window.show_evaluation()
    dialog = window.evaluation_dialog
    if not dialog.evaluation.mistakes:
        pytest.skip("the tiny model got every drawn picture right")
    wrong = dialog.evaluation.mistakes[0].path
    window.set_label_filter(labels[0])  # may hide it
    dialog.mistakeChosen.emit(wrong)
    assert window.table.current_path() == wrong
    dialog.close()


# --- export, status text, focus ---------------------------------------------------------------


def test_export_counts_its_rows_and_carries_the_truth(qtbot, window, tmp_path):
    photos = labelled(tmp_path / "photos", window.classifier.labels, count=2)
    classify_and_wait(qtbot, window, [photos])
    (tmp_path / "out").mkdir()
    window.export_to(tmp_path / "out" / "all.csv")
    rows = window.results_model.rowCount()
    assert window.statusBar().currentMessage() == f"Saved {rows:,} row(s) to all.csv"
    with open(tmp_path / "out" / "all.csv", newline="", encoding="utf-8") as stream:
        exported = list(csv.DictReader(stream))
    truths = window.results_model.truths()
    assert len(exported) == rows
    assert {row["path"]: row["truth"] for row in exported} == truths
    window.export_to(tmp_path / "out" / "all.json")
    items = json.loads((tmp_path / "out" / "all.json").read_text(encoding="utf-8"))
    assert {item["path"]: item["truth"] for item in items} == truths


def test_status_text_ends_at_a_whole_word(qtbot, window, tmp_path):
    metrics = QFontMetrics(window.font())
    text = "1,000 of 1,000 files classified, 2 failed (1 empty_file, 1 not_an_image) in 12.3 s"
    for width in range(10, metrics.horizontalAdvance(text), 7):
        shown = elide_at_word(text, metrics, width)
        assert metrics.horizontalAdvance(shown) <= width or shown == ELLIPSIS
        kept = shown.removesuffix(" " + ELLIPSIS).removesuffix(ELLIPSIS)
        assert text.startswith(kept) and (kept == "" or text[len(kept)] in " ,")
    # At the default window size, after a run, the run's summary stays on screen.
    window.resize(1100, 720)
    classify_and_wait(qtbot, window, write_images(tmp_path, 3))
    bar = window.status_bar
    window.statusBar().showMessage("Copied 1 row(s)", 1)
    qtbot.waitUntil(lambda: not window.statusBar().currentMessage())
    assert bar.run_label.isVisible() and bar.last_run_summary in bar.run_label.text()
    for label in (bar.summary_label, bar.run_label):
        shown = label.shown_text()
        assert shown == label.text() or shown.endswith(ELLIPSIS)


def test_focus_stays_with_the_photos_when_why_this_label_disables_itself(qtbot, window, tmp_path):
    classify_and_wait(qtbot, window, write_images(tmp_path, 2))
    button = window.detail_pane.heatmap.button
    button.setFocus(Qt.FocusReason.TabFocusReason)
    assert button.hasFocus()
    with qtbot.waitSignal(window.detail_pane.heatmap.explainEnded, timeout=60_000):
        qtbot.keyClick(button, Qt.Key.Key_Space)
        assert not button.isEnabled()
        assert window.table.hasFocus() and not window.threshold_spin.hasFocus()
    # A click on the button leaves the keyboard where it was.
    assert button.focusPolicy() == Qt.FocusPolicy.TabFocus
    assert window.threshold_spin.pos() != QPoint(-1, -1)
