"""Photos in folders named like the labels: truth beside the prediction, right and wrong marked,
a Mistakes filter, and an evaluation that equals `edgeclass evaluate DIR --format json`."""

from __future__ import annotations

import json
import subprocess
import sys

from desktop_helpers import classify_and_wait, write_images
from PySide6.QtCore import Qt

from edgeclass.desktop.results_model import LABEL, MISTAKES, RIGHT_MARK, TRUTH, WRONG_MARK


def labelled_folder(root, labels):
    for offset, label in enumerate(labels):
        write_images(root / label, 4, size=(160, 120), prefix=f"{label}{offset}")
    return root


def test_the_evaluation_view_matches_edgeclass_evaluate(qtbot, window, tmp_path, tiny_model_dir):
    labels = window.classifier.labels
    root = labelled_folder(tmp_path / "sorted", labels)
    classify_and_wait(qtbot, window, [root])

    command = ["evaluate", str(root), "--model", str(tiny_model_dir), "--format", "json", "-q"]
    completed = subprocess.run(
        [sys.executable, "-m", "edgeclass", *command], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    expected = json.loads(completed.stdout)

    assert not window.table.isColumnHidden(TRUTH)
    window.evaluation_action.trigger()
    shown = window.evaluation_dialog.evaluation.to_dict()
    for key in ("labels", "images", "evaluated", "correct", "accuracy", "per_class", "confusion"):
        assert shown[key] == expected[key], key
    truth_of = {p["path"]: p for p in expected["predictions"]}

    model = window.results_model
    for row in range(model.rowCount()):
        result = model.result_at(row)
        cell = model.index(row, TRUTH).data()
        right = truth_of[result.path]["correct"]
        assert cell == f"{RIGHT_MARK if right else WRONG_MARK} {truth_of[result.path]['truth']}"
        colour = model.index(row, LABEL).data(Qt.ItemDataRole.ForegroundRole)
        assert colour is not None  # a colour as well as the symbol

    window.set_label_filter(MISTAKES)
    assert window.proxy.rowCount() == len(expected["mistakes"])
    headline = window.evaluation_dialog.headline.text()
    assert f"{expected['correct']} of {expected['evaluated']} right" in headline
    window.evaluation_dialog.close()


def test_a_plain_folder_gets_no_truth_column(qtbot, window, tmp_path):
    write_images(tmp_path / "holiday", 2)
    classify_and_wait(qtbot, window, [tmp_path])
    assert window.table.isColumnHidden(TRUTH)
    assert not window.evaluation_action.isEnabled()
