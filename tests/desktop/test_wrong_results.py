"""Right results after the obvious second steps: Classify Again keeps the truth, a Sort into
Folders does not cost a labelled folder its truth, About says where its figure was measured,
and the docs quote the shipped report's figure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from desktop_helpers import classify_and_wait, write_images
from PySide6.QtCore import Qt

from edgeclass.desktop.results_model import MISTAKES, TRUTH
from edgeclass.desktop.sort_dialog import default_destination
from edgeclass.organize import Mode, apply_plan, default_journal_path, plan_sort, undo_journal
from edgeclass.runtime import ModelFolder
from edgeclass.runtime.locate import bundled_model_dir
from edgeclass.runtime.model_report import REPORT_JSON

REPO = Path(__file__).resolve().parents[2]


def labelled_folder(root: Path, labels) -> Path:
    for offset, label in enumerate(labels):
        write_images(root / label, 3, prefix=f"{label}{offset}")
    return root


def test_classify_again_keeps_the_truth_and_the_focus(qtbot, window, tmp_path):
    photos = labelled_folder(tmp_path / "photos", window.classifier.labels)
    classify_and_wait(qtbot, window, [photos])
    model = window.results_model
    truths = model.truths()
    assert len(truths) == 3 * len(window.classifier.labels)
    mistakes = model.filter_counts().get(MISTAKES, 0)
    window.table.setFocus()
    assert window.table.hasFocus()

    with qtbot.waitSignal(window.runFinished, timeout=60_000):
        qtbot.keyClick(window.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        assert window.is_busy()  # the shortcut started it

    assert model.rowCount() == len(truths)
    assert model.truths() == truths
    assert not window.table.isColumnHidden(TRUTH)
    assert window.evaluation_action.isEnabled()
    assert model.filter_counts().get(MISTAKES, 0) == mistakes
    assert model.index(0, TRUTH).data()[:1] in ("✓", "✗")
    assert window.table.hasFocus() and not window.threshold_spin.hasFocus()


def test_the_default_sort_destination_is_beside_the_photos(qtbot, window, tmp_path):
    photos = labelled_folder(tmp_path / "photos", window.classifier.labels)
    classify_and_wait(qtbot, window, [photos])
    dialog = window.sort_commands.open_sort_dialog()
    assert dialog is not None
    assert dialog.destination() == tmp_path / "photos sorted"
    dialog.close()
    assert default_destination(Path("/")) == Path("/sorted")


def test_a_sort_inside_the_folder_and_its_undo_leave_its_truth(qtbot, window, tmp_path):
    """What an earlier version's default did: sorted into <photos>/sorted, then undone (the
    journal stays there). The photo folder still reads as labelled."""
    labels = window.classifier.labels
    photos = labelled_folder(tmp_path / "photos", labels)
    classify_and_wait(qtbot, window, [photos])
    inside = photos / "sorted"
    journal = default_journal_path(inside)
    inside.mkdir()
    apply_plan(plan_sort(window.results_model.results(), inside), Mode.COPY, journal)
    window.clear_results()
    classify_and_wait(qtbot, window, [photos])  # the copies are rows too, without truth
    assert len(window.results_model.truths()) == 3 * len(labels)
    assert not window.notice.isVisible()

    undo_journal(journal)
    assert journal.is_file() and not any(p.is_dir() for p in inside.iterdir())
    window.clear_results()
    classify_and_wait(qtbot, window, [photos])
    assert len(window.results_model.truths()) == 3 * len(labels)


def test_a_folder_that_is_almost_labelled_says_why_it_has_no_truth(qtbot, window, tmp_path):
    labels = window.classifier.labels
    photos = labelled_folder(tmp_path / "photos", labels)
    write_images(photos / "holiday", 1)
    classify_and_wait(qtbot, window, [photos])
    assert window.table.isColumnHidden(TRUTH)
    assert window.notice.isVisible()
    text = window.notice.text()
    assert "“photos” has no Truth column" in text and "“holiday”, which is not a label" in text
    # A plain folder of photos says nothing.
    window.clear_results()
    assert not window.notice.isVisible()
    write_images(tmp_path / "plain", 2)
    classify_and_wait(qtbot, window, [tmp_path / "plain"])
    assert not window.notice.isVisible()


@pytest.fixture
def default_folder() -> Path:
    folder = bundled_model_dir()
    if folder is None or not (folder / REPORT_JSON).is_file():
        pytest.skip("no bundled default model with a report in this checkout")
    return folder


def test_about_says_where_its_figure_was_measured(qtbot, default_folder):
    from edgeclass.desktop.model_dialog import ModelDialog

    folder = default_folder
    report = json.loads((folder / REPORT_JSON).read_text())
    dialog = ModelDialog(ModelFolder.load(folder))
    qtbot.addWidget(dialog)
    cpu = report["machine"]["cpu"]["model"]
    assert dialog.measured.text().startswith(f"Measured on {cpu}")
    assert "when the model was made" in dialog.measured.text()
    assert dialog.text().splitlines()[1] == dialog.measured.text()


def test_the_docs_quote_the_shipped_report(qtbot, default_folder):
    """docs/desktop.md's About sentence is the one the bundled model's report gives."""
    from edgeclass.desktop.model_dialog import ModelDialog

    dialog = ModelDialog(ModelFolder.load(default_folder))
    qtbot.addWidget(dialog)
    docs = " ".join((REPO / "docs" / "desktop.md").read_text(encoding="utf-8").split())
    quoted = re.search(r'"(Right on [^"]+)"', docs)
    assert quoted is not None
    assert quoted.group(1) == dialog.headline.text()
