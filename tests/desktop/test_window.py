"""The window's actions: export, model switching, clipboard, settings, the About-model dialog."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest
from desktop_helpers import classify_and_wait, write_images
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QImage

from edgeclass.desktop.main_window import MainWindow


def test_export_writes_files_that_parse_back(qtbot, window, tmp_path):
    photos = write_images(tmp_path / "photos", 3)
    broken = tmp_path / "photos" / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    classify_and_wait(qtbot, window, [*photos, broken])
    expected = window.results_model.results()
    out = tmp_path / "out"
    out.mkdir()

    window.export_to(out / "results.csv")
    with open(out / "results.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["path"] for row in rows] == [r.path for r in expected]
    assert [row["status"] for row in rows] == [r.status.value for r in expected]
    assert [row["label"] for row in rows] == [r.label or "" for r in expected]
    assert float(rows[0]["score"]) == pytest.approx(expected[0].score, abs=1e-6)

    window.export_to(out / "results.json")
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert document == [r.to_dict() for r in expected]  # what `edgeclass classify` writes
    assert sorted(p.name for p in out.iterdir()) == ["results.csv", "results.json"]  # no temp


def test_failed_export_leaves_the_old_file_whole(qtbot, window, tmp_path, monkeypatch):
    classify_and_wait(qtbot, window, write_images(tmp_path / "photos", 2))
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "results.json"
    target.write_text("old contents")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", fail)
    with pytest.raises(OSError):
        window.export_to(target)
    assert target.read_text() == "old contents"
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


def test_an_invalid_model_folder_keeps_the_old_model(window, tmp_path, dialogs):
    loaded = window.classifier
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = tmp_path / "broken"
    shutil.copytree(window.classifier.folder.path, broken)
    (broken / "config.json").write_text("{ not json")

    assert not window.load_model(empty)
    assert not window.load_model(broken)
    assert not window.load_model(tmp_path / "does-not-exist")

    assert window.classifier is loaded
    assert len(dialogs) == 3
    title, text = dialogs[0]
    assert title == "Not a usable model folder"
    assert str(empty) in text and "model.onnx" in text and "stays loaded" in text
    assert "not valid JSON" in dialogs[1][1]
    assert window.status_bar.summary_label.text().startswith("Model: tiny_mobilevit")


def test_a_corrupt_onnx_file_is_refused_with_a_dialog(window, tmp_path, dialogs):
    loaded = window.classifier
    broken = tmp_path / "garbage-onnx"
    shutil.copytree(window.classifier.folder.path, broken)
    (broken / "model.onnx").write_bytes(b"\x00garbage, not a protobuf" * 10)
    assert not window.load_model(broken)
    assert window.classifier is loaded
    assert len(dialogs) == 1


def test_without_a_model_the_window_says_how_to_choose_one(
    qtbot, settings, dialogs, monkeypatch, tmp_path
):
    monkeypatch.delenv("EDGECLASS_MODEL", raising=False)
    # Simulate a build without a bundled model, whether or not this checkout has one.
    monkeypatch.setattr("edgeclass.runtime.locate.bundled_model_dir", lambda: None)
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    assert not window.load_initial_model()
    title, hint = window.drop_zone.message()
    assert title == "No model loaded"
    assert "File > Choose Model" in hint
    assert window.drop_zone.button_text() == "Choose Model…"
    assert "bundled" in window.model_error
    window.classify_paths(write_images(tmp_path, 1))
    assert dialogs and dialogs[0][0] == "Choose a model first"
    assert window.results_model.rowCount() == 0


def test_the_model_chosen_last_time_is_loaded_at_start(
    qtbot, window, settings, monkeypatch, tiny_model_dir, tmp_path
):
    monkeypatch.delenv("EDGECLASS_MODEL", raising=False)
    chosen = tmp_path / "my-model"
    shutil.copytree(tiny_model_dir, chosen)
    # The folder dialog is Qt's, not under test: it answers with the folder a user would pick.
    monkeypatch.setattr(
        "edgeclass.desktop.main_window.QFileDialog.getExistingDirectory",
        staticmethod(lambda *args, **kwargs: str(chosen)),
    )
    window.choose_model_action.trigger()
    assert window.classifier.folder.path == chosen
    window.close()

    again = MainWindow(settings)
    qtbot.addWidget(again)
    assert again.load_initial_model()
    assert again.classifier.folder.path == chosen

    # A --model flag is for one session: it does not replace the remembered choice.
    third = MainWindow(settings)
    qtbot.addWidget(third)
    assert third.load_initial_model(tiny_model_dir)
    fourth = MainWindow(settings)
    qtbot.addWidget(fourth)
    assert fourth.load_initial_model()
    assert fourth.classifier.folder.path == chosen


def test_paste_files_and_an_image(qtbot, window, tmp_path):
    photo = write_images(tmp_path, 1)[0]
    clipboard = QGuiApplication.clipboard()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    clipboard.setMimeData(mime)
    with qtbot.waitSignal(window.runFinished, timeout=30_000):
        window.paste_action.trigger()
    assert [r.path for r in window.results_model.results()] == [str(photo)]

    image = QImage(120, 80, QImage.Format.Format_RGB32)
    image.fill(QColor("orange"))
    clipboard.setImage(image)
    with qtbot.waitSignal(window.runFinished, timeout=30_000):
        window.paste()
    pasted = window.results_model.results()[-1]
    assert pasted.ok and pasted.width == 120 and pasted.height == 80
    assert "edgeclass-paste-" in pasted.path


def test_copy_puts_selected_rows_on_the_clipboard(qtbot, window, tmp_path):
    classify_and_wait(qtbot, window, write_images(tmp_path, 3))
    window.table.selectRow(1)
    window.copy_selection()
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].split("\t") == ["path", "label", "confidence", "status", "message"]
    assert len(lines) == 2
    row = window.proxy.index(1, 0).data(window_result_role())
    assert lines[1].split("\t")[:2] == [row.path, row.label]


def test_ctrl_c_in_the_table_copies_rows(qtbot, window, tmp_path):
    classify_and_wait(qtbot, window, write_images(tmp_path, 2))
    window.table.setFocus()
    window.table.selectRow(0)
    QGuiApplication.clipboard().setText("")
    qtbot.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert len(lines) == 2 and lines[0].startswith("path\t")


def window_result_role():
    from edgeclass.desktop.results_model import ResultRole

    return ResultRole


def test_window_remembers_size_and_last_folder(qtbot, window, settings, tmp_path):
    window.resize(720, 520)  # inside the offscreen screen (800x600)
    classify_and_wait(qtbot, window, [write_images(tmp_path / "trip", 1)[0].parent])
    window.close()
    again = MainWindow(settings)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (720, 520)
    assert again.prefs.last_folder() == str(tmp_path / "trip")


def test_self_test_command_exits_zero(tiny_model_dir):
    completed = subprocess.run(
        [sys.executable, "-m", "edgeclass.desktop", "--self-test", "--model", str(tiny_model_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["ok"] is True
    assert summary["statuses"] == {"ok": 4, "unreadable": 1}


def test_a_forced_dark_scheme_gives_a_readable_dark_palette(qapp):
    from PySide6.QtCore import Qt as QtNamespace
    from PySide6.QtGui import QPalette

    from edgeclass.desktop.theme import apply_color_scheme, is_dark

    style, palette = qapp.style().name(), qapp.palette()
    try:
        apply_color_scheme(qapp, "dark")
        dark = qapp.palette()
        assert is_dark(dark)
        text = dark.color(QPalette.ColorRole.WindowText).lightness()
        assert text - dark.color(QPalette.ColorRole.Window).lightness() > 120  # contrast
        apply_color_scheme(qapp, "light")
        assert not is_dark(qapp.palette())
    finally:
        if hasattr(qapp.styleHints(), "setColorScheme"):
            qapp.styleHints().setColorScheme(QtNamespace.ColorScheme.Unknown)
        qapp.setStyle(style)
        qapp.setPalette(palette)


def test_a_worker_error_reaches_the_user_and_the_run_ends(qtbot, window, tmp_path, dialogs):
    from edgeclass.runtime import Classifier

    class BrokenModel(Classifier):
        def predict(self, batch):
            raise RuntimeError("out of memory in the model")

    window.classifier = BrokenModel(window.classifier.folder)
    classify_and_wait(qtbot, window, write_images(tmp_path, 2))
    assert dialogs == [("Classification stopped", "RuntimeError: out of memory in the model")]
    assert not window.is_busy() and not window.status_bar.progress_bar.isVisible()
