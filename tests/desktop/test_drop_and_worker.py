"""Drops fill the table; the worker streams real results through its signals; cancel stops it."""

from __future__ import annotations

import gc
import os
import weakref
from pathlib import Path

from desktop_helpers import classify_and_wait, write_images
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMimeData,
    QPoint,
    QPointF,
    Qt,
    QThreadPool,
    QUrl,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from edgeclass.desktop.drop_zone import paths_from_mime_data
from edgeclass.desktop.results_model import PROBLEMS
from edgeclass.desktop.worker import CANCELLED, COMPLETED, ClassifyWorker
from edgeclass.runtime import Classifier, Status


def _drop(widget, paths: list[Path]) -> None:
    """What a file manager's drag does: enter (Qt delivers no drop without it), then drop."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = QPoint(widget.width() // 2, widget.height() // 2)
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton)
    # Qt's drag-enter event takes an integer point, its drop event a QPointF.
    enter = QDragEnterEvent(where, *args, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(where), *args, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted()


def test_drop_of_files_and_a_folder_fills_the_table(qtbot, window, tmp_path):
    loose = write_images(tmp_path / "loose", 2, prefix="loose")
    folder = tmp_path / "album"
    inside = write_images(folder, 3, prefix="top") + write_images(folder / "nested", 2)
    (folder / "notes.txt").write_text("not a photo, not in a folder scan")

    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        _drop(window.drop_zone, [*loose, folder])

    rows = window.results_model.results()
    assert sorted(r.path for r in rows) == sorted(str(p) for p in [*loose, *inside])
    assert all(r.status is Status.OK for r in rows)
    assert all(r.label in ("cat", "dog", "bird") for r in rows)
    assert window.proxy.rowCount() == 7
    # The first row is selected and shown in the detail pane, with its top-k bars.
    assert window.detail_pane.result() is not None
    assert len(window.detail_pane.bars().rows()) == 3
    # Dropping the same folder again adds nothing new.
    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        _drop(window.drop_zone, [folder])
    assert window.results_model.rowCount() == 7


def test_paths_from_mime_data_keeps_local_files_only(tmp_path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.jpg")), QUrl("https://example.com/b.jpg")])
    assert paths_from_mime_data(mime) == [tmp_path / "a.jpg"]
    assert paths_from_mime_data(QMimeData()) == []


def test_drop_zone_emits_paths_and_does_no_inference(qtbot, tmp_path):
    from edgeclass.desktop.drop_zone import DropZone

    zone = DropZone()
    qtbot.addWidget(zone)
    zone.resize(300, 200)
    with qtbot.waitSignal(zone.pathsDropped) as blocker:
        _drop(zone, [tmp_path / "x.png", tmp_path])
    assert blocker.args == [[tmp_path / "x.png", tmp_path]]


def test_worker_signals_deliver_results_in_input_order(qtbot, tmp_path, tiny_model_dir):
    paths = write_images(tmp_path, 9, size=(300, 200))
    broken = tmp_path / "zz-broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    classifier = Classifier(tiny_model_dir)
    worker = ClassifyWorker(classifier, [*paths, broken], batch_size=4, max_batch=4)
    batches, progress = [], []
    worker.signals.result.connect(batches.append)
    worker.signals.progress.connect(lambda done, total: progress.append((done, total)))

    with (
        qtbot.waitSignal(worker.signals.started, timeout=10_000),
        qtbot.waitSignal(worker.signals.finished, timeout=60_000) as finished,
    ):
        QThreadPool.globalInstance().start(worker)

    assert finished.args == [COMPLETED]
    results = [r for batch in batches for r in batch.results]
    assert [r.path for r in results] == [str(p) for p in [*paths, broken]]
    assert len(batches) >= 2  # streamed, not delivered all at once
    assert progress[0] == (0, 10) and progress[-1] == (10, 10)
    assert results[-1].status is Status.UNREADABLE
    thumbnails = {path: image for batch in batches for path, image in batch.thumbnails.items()}
    assert set(thumbnails) == {str(p) for p in paths}  # none for the broken file
    for image in thumbnails.values():
        assert isinstance(image, QImage) and not image.isNull()
        assert max(image.width(), image.height()) == 96


def test_an_unreadable_folder_is_a_row_not_a_silent_gap(
    qtbot, tmp_path, tiny_model_dir, monkeypatch
):
    readable = write_images(tmp_path / "readable", 2)
    locked = tmp_path / "locked"
    write_images(locked, 2)
    real_scandir = os.scandir

    def scandir(path):  # root reads any folder: refuse this one at the OS boundary instead
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    worker = ClassifyWorker(Classifier(tiny_model_dir), [tmp_path])
    batches = []
    worker.signals.result.connect(batches.append)
    with qtbot.waitSignal(worker.signals.finished, timeout=60_000):
        QThreadPool.globalInstance().start(worker)

    results = {r.path: r for batch in batches for r in batch.results}
    assert set(results) == {str(locked), *map(str, readable)}
    assert results[str(locked)].status is Status.PERMISSION_ERROR
    assert results[str(locked)].message


def test_worker_reports_errors_as_a_signal(qtbot, tmp_path, tiny_model_dir):
    class ExplodingClassifier(Classifier):
        def predict(self, batch):
            raise RuntimeError("the model fell over")

    worker = ClassifyWorker(ExplodingClassifier(tiny_model_dir), write_images(tmp_path, 2))
    with (
        qtbot.waitSignal(worker.signals.error, timeout=10_000) as error,
        qtbot.waitSignal(worker.signals.finished, timeout=10_000),
    ):
        QThreadPool.globalInstance().start(worker)
    assert "the model fell over" in error.args[0]


def test_cancel_stops_the_work_early(qtbot, tmp_path, tiny_model_dir):
    paths = write_images(tmp_path, 400, size=(96, 64))
    worker = ClassifyWorker(Classifier(tiny_model_dir), paths, batch_size=4, max_batch=4)
    received = []

    def on_batch(batch):
        received.extend(batch.results)
        worker.cancel()

    worker.signals.result.connect(on_batch)
    with qtbot.waitSignal(worker.signals.finished, timeout=60_000) as finished:
        QThreadPool.globalInstance().start(worker)
    assert finished.args == [CANCELLED]
    assert 0 < len(received) < len(paths)


def test_cancel_from_the_window_keeps_the_rows_so_far(qtbot, window, tmp_path):
    paths = write_images(tmp_path, 400, size=(96, 64))
    window.results_model.rowsInserted.connect(window.cancel)
    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        window.classify_paths([tmp_path])
    assert 0 < window.results_model.rowCount() < len(paths)
    assert not window.is_busy()
    assert not window.status_bar.progress_bar.isVisible()


def test_corrupt_files_show_their_status_in_their_row(qtbot, window, tmp_path):
    good = write_images(tmp_path, 2)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good[0].read_bytes()[:300])
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "letter.png"
    text.write_text("Dear photo, you are a text file.")
    missing = tmp_path / "gone.jpg"

    classify_and_wait(qtbot, window, [*good, truncated, empty, text, missing])

    model = window.results_model
    by_name = {Path(model.result_at(row).path).name: row for row in range(model.rowCount())}
    from edgeclass.desktop.results_model import LABEL, MESSAGE, STATUS

    def cell(name, column):
        return model.index(by_name[name], column).data()

    assert cell("truncated.jpg", STATUS) == "Unreadable"
    assert cell("empty.png", STATUS) == "Empty file"
    assert cell("letter.png", STATUS) == "Not an image"
    assert cell("gone.jpg", STATUS) == "Not found"
    for name in ("truncated.jpg", "empty.png", "letter.png", "gone.jpg"):
        assert cell(name, MESSAGE), f"{name} has no message"
        assert cell(name, LABEL) == ""
    assert cell(good[0].name, STATUS) == "OK"
    assert "4 could not be read" in window.status_bar.summary_label.text()
    window.set_label_filter(PROBLEMS)
    assert window.proxy.rowCount() == 4


def test_a_drop_anywhere_on_the_window_is_accepted(qtbot, window, tmp_path):
    first = write_images(tmp_path / "a", 2)
    classify_and_wait(qtbot, window, first)
    assert window.drop_zone.is_compact()  # rows shown: the zone is a slim strip now
    more = write_images(tmp_path / "b", 2, prefix="more")
    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        _drop(window.table.viewport(), more)  # the table does not take drops; the window does
    assert window.results_model.rowCount() == 4


def test_the_detail_pane_follows_the_selection(qtbot, window, tmp_path):
    paths = write_images(tmp_path, 3, size=(200, 100))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"")
    classify_and_wait(qtbot, window, [*paths, broken])
    with qtbot.waitSignal(window.detail_pane.previewShown, timeout=10_000) as preview:
        window.table.selectRow(1)
    shown = window.detail_pane.result()
    assert shown.path == str(paths[1]) == preview.args[0]
    image = window.detail_pane.image()
    assert (image.width(), image.height()) == (200, 100)  # the photo itself, not the thumbnail
    assert window.detail_pane.bars().rows() == shown.top_k
    assert abs(sum(p for _, p in shown.top_k) - 1.0) < 1e-4  # all three labels, softmaxed
    window.table.selectRow(3)
    assert window.detail_pane.result().path == str(broken)
    assert window.detail_pane.bars().rows() == ()


def test_classify_again_reruns_every_row(qtbot, window, tmp_path):
    paths = write_images(tmp_path, 3)
    classify_and_wait(qtbot, window, paths)
    before = window.results_model.results()
    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        window.rerun_action.trigger()
    assert window.results_model.results() == before  # same model, same photos, same results


def test_the_drop_zone_follows_a_palette_switch_while_running(qtbot, qapp):
    from edgeclass.desktop.drop_zone import DropZone
    from edgeclass.desktop.theme import dark_palette, is_dark

    zone = DropZone()
    qtbot.addWidget(zone)
    zone.resize(300, 200)
    zone.show()
    before = qapp.palette()
    try:
        light = zone.grab().toImage().pixelColor(150, 30)
        qapp.setPalette(dark_palette())
        qapp.processEvents()
        dark = zone.grab().toImage().pixelColor(150, 30)
    finally:
        qapp.setPalette(before)
        qapp.processEvents()
    assert not is_dark(before) or light.lightness() < 128
    assert dark.lightness() < 64 and dark != light


def test_a_closed_window_frees_its_detail_pane(qtbot, settings, tiny_model_dir, tmp_path):
    """The preview loaders must not keep the pane (and its large preview) alive."""
    from edgeclass.desktop.main_window import MainWindow

    window = MainWindow(settings)
    assert window.load_model(tiny_model_dir)
    window.show()
    classify_and_wait(qtbot, window, write_images(tmp_path, 3, size=(200, 100)))
    for row in (1, 2):
        with qtbot.waitSignal(window.detail_pane.previewShown, timeout=10_000):
            window.table.selectRow(row)
    pane = weakref.ref(window.detail_pane)
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    del window
    gc.collect()
    assert pane() is None
