"""Help > About This Model, written for users, from the bundled model's real report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from PySide6.QtWidgets import QFormLayout, QLabel

from edgeclass.desktop.model_dialog import ModelDialog
from edgeclass.desktop.model_summary import NO_REPORT
from edgeclass.runtime import ModelFolder
from edgeclass.runtime.locate import bundled_model_dir
from edgeclass.runtime.model_folder import ONNX_FILE
from edgeclass.runtime.model_report import REPORT_JSON


@pytest.fixture
def default_folder():
    folder = bundled_model_dir()
    if folder is None or not (folder / REPORT_JSON).is_file():
        pytest.skip("no bundled default model with a report in this checkout")
    return folder


def test_accuracy_on_held_out_photos_comes_first(qtbot, default_folder):
    report = json.loads((default_folder / REPORT_JSON).read_text())
    per_class = report["accuracy"]["int8"]["per_class"]  # the shipped model is the int8 one
    right = sum(item["correct"] for item in per_class.values())
    total = sum(item["images"] for item in per_class.values())
    dialog = ModelDialog(ModelFolder.load(default_folder))
    qtbot.addWidget(dialog)
    assert dialog.headline.text() == (
        f"Right on {right:,} of {total:,} held-out photos ({100 * right / total:.1f}%), "
        f"wrong on about 1 in {round(total / (total - right))}."
    )
    text = dialog.text()
    assert text.splitlines()[0] == dialog.headline.text()
    assert "Labels: " + ", ".join(report["model"]["labels"]) in text
    assert "8-bit integers (int8)" in text
    megabytes = (default_folder / ONNX_FILE).stat().st_size / 1e6
    assert f"Size: {megabytes:.1f} MB" in text
    cpu = report["machine"]["cpu"]  # int8 results depend on the CPU: where they were measured
    assert f"Measured on {cpu['model']} ({cpu['int8_isa']}) when the model was made." in text
    for label, item in per_class.items():
        assert f"{label}: {item['correct']:,} of {item['images']:,} right" in text
    assert "/work" not in text and "/tmp" not in text and str(default_folder) not in text
    assert "{" not in text  # no raw JSON
    assert dialog.card.toPlainText().strip()  # the model card is a tab of its own


def test_every_detail_is_shown_whole_when_the_dialog_opens(qtbot, default_folder):
    dialog = ModelDialog(ModelFolder.load(default_folder))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    for row in range(dialog.details.rowCount()):
        item = dialog.details.itemAt(row, QFormLayout.ItemRole.FieldRole)
        label = item.widget() if item is not None else None
        if isinstance(label, QLabel):  # a wrapped value needs its lines' height at its width
            assert label.height() >= label.heightForWidth(label.width()), label.text()
            assert label.width() > dialog.width() // 2, label.text()  # not squeezed into a column


def test_a_float_model_says_so(qtbot, tmp_path, default_folder):
    folder = tmp_path / "float-model"
    shutil.copytree(default_folder, folder)
    report = json.loads((folder / REPORT_JSON).read_text())
    report["sizes_bytes"]["fp32"] = (folder / ONNX_FILE).stat().st_size
    (folder / REPORT_JSON).write_text(json.dumps(report))
    dialog = ModelDialog(ModelFolder.load(folder))
    qtbot.addWidget(dialog)
    fp32 = report["accuracy"]["fp32"]["per_class"]
    right = sum(item["correct"] for item in fp32.values())
    assert dialog.headline.text().startswith(f"Right on {right:,} of")
    assert "32-bit floating point (fp32)" in dialog.text()


def test_no_report_and_a_bad_report_are_plain_sentences(qtbot, tmp_path, tiny_model_dir):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    (folder / REPORT_JSON).unlink(missing_ok=True)
    dialog = ModelDialog(ModelFolder.load(folder))
    qtbot.addWidget(dialog)
    assert dialog.headline.text() == NO_REPORT
    assert dialog.card.toPlainText() == "This model folder has no model card (MODEL_CARD.md)."

    (folder / REPORT_JSON).write_text(json.dumps({"schema": 99}))
    dialog = ModelDialog(ModelFolder.load(folder))
    qtbot.addWidget(dialog)
    assert dialog.headline.text().startswith("This model's accuracy report cannot be read: ")
    assert "`" not in dialog.headline.text()


def test_a_bad_model_folder_error_is_plain_text(window, tmp_path, dialogs):
    (tmp_path / "empty").mkdir()
    assert not window.load_model(tmp_path / "empty")
    title, text = dialogs[-1]
    assert title == "Not a usable model folder"
    assert "“edgeclass quantize”" in text and "`" not in text


def test_the_window_title_says_what_is_shown(qtbot, window, tmp_path):
    from desktop_helpers import classify_and_wait, write_images

    assert window.windowTitle() == ""  # Qt shows the application's name alone: "edgeclass"
    write_images(tmp_path / "trip" / "day 1", 2)
    write_images(tmp_path / "trip" / "day 2", 1, prefix="other")
    classify_and_wait(qtbot, window, [tmp_path / "trip"])
    assert window.windowTitle() == "trip — 3 photos"  # Qt adds " — edgeclass" itself
    window.clear_results()
    assert window.windowTitle() == ""


def test_the_dialog_reads_reports_without_the_quantize_package():
    """The bundle leaves edgeclass.quantize out: the desktop must not need it."""
    probe = (
        "import sys, edgeclass.desktop.main_window, edgeclass.desktop.model_dialog; "
        "print([m for m in sys.modules if m.startswith('edgeclass.quantize')])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
