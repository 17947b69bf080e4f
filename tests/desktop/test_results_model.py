"""The table model: Qt's model contract, threshold relabelling, label filter, sorting."""

from __future__ import annotations

from desktop_helpers import classify_and_wait, write_images
from PySide6.QtCore import Qt

from edgeclass.desktop.results_model import (
    CONFIDENCE,
    LABEL,
    NAME,
    STATUS,
    THUMBNAIL,
    ResultsFilterProxy,
    ResultsModel,
)
from edgeclass.desktop.thumbnails import make_thumbnail
from edgeclass.runtime import UNKNOWN_LABEL, Classifier


def _real_results(tmp_path, tiny_model_dir, count=5):
    paths = write_images(tmp_path, count)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 nope")
    return list(Classifier(tiny_model_dir).classify_paths([*paths, broken]))


def test_results_model_passes_qtmodeltester(qapp, qtmodeltester, tmp_path, tiny_model_dir):
    results = _real_results(tmp_path, tiny_model_dir)
    model = ResultsModel()
    thumbnails = {r.path: make_thumbnail(r.path) for r in results if r.ok}
    model.append_results(results[:3], thumbnails)
    qtmodeltester.check(model, force_py=True)
    model.append_results(results[3:], thumbnails)
    model.set_threshold(0.9)
    qtmodeltester.check(model, force_py=True)

    assert model.rowCount() == 6
    assert model.index(0, THUMBNAIL).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(5, THUMBNAIL).data(Qt.ItemDataRole.DecorationRole) is None
    assert model.index(5, STATUS).data() == "Not an image"


def test_a_sorted_model_and_its_proxy_pass_qtmodeltester(
    qapp, qtmodeltester, tmp_path, tiny_model_dir
):
    """Sorting reorders the model itself (a layout change); rows arriving later are inserted
    in their place."""
    results = _real_results(tmp_path, tiny_model_dir)
    model = ResultsModel()
    proxy = ResultsFilterProxy()
    proxy.setSourceModel(model)
    model.append_results(results[:3])
    proxy.sort(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy, force_py=True)
    model.append_results(results[3:])
    scores = [model.result_at(row).score for row in range(model.rowCount())]
    assert scores == sorted(scores, key=lambda s: -1.0 if s is None else s, reverse=True)
    proxy.sort(NAME, Qt.SortOrder.AscendingOrder)
    names = [model.index(row, NAME).data().lower() for row in range(model.rowCount())]
    assert names == sorted(names)
    proxy.sort(-1, Qt.SortOrder.AscendingOrder)  # back to the order they arrived in
    assert [r.path for r in model.results()] == [r.path for r in results]


def test_threshold_change_relabels_rows_without_rerunning(qtbot, window, tmp_path):
    classify_and_wait(qtbot, window, write_images(tmp_path, 6))
    model = window.results_model
    best = [model.result_at(row).top_k[0] for row in range(model.rowCount())]
    assert all(model.index(row, LABEL).data() == best[row][0] for row in range(len(best)))

    highest = max(score for _, score in best)
    with qtbot.waitSignal(model.dataChanged):
        window.threshold_spin.setValue(int(highest * 100) + 1)
    assert [model.index(row, LABEL).data() for row in range(len(best))] == [UNKNOWN_LABEL] * 6
    window.set_label_filter(UNKNOWN_LABEL)
    assert window.proxy.rowCount() == 6

    lowest = min(score for _, score in best)
    window.threshold_spin.setValue(int(lowest * 100))
    assert [model.index(row, LABEL).data() for row in range(len(best))] == [b[0] for b in best]
    assert window.proxy.rowCount() == 0  # nothing is unknown any more
    # A change alone is not saved for the next session; the user's Enter (or leaving the box) is.
    assert window.settings.value("classify/threshold") is None
    qtbot.keyClick(window.threshold_spin, Qt.Key.Key_Return)
    assert window.settings.value("classify/threshold", type=float) == int(lowest * 100) / 100


def test_label_filter_and_sorting(qtbot, window, tmp_path):
    classify_and_wait(qtbot, window, write_images(tmp_path, 8))
    labels = [r.label for r in window.results_model.results()]
    chosen = labels[0]
    window.set_label_filter(chosen)
    assert window.proxy.rowCount() == labels.count(chosen)

    window.set_label_filter("")
    window.table.sortByColumn(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    scores = [window.proxy.index(row, CONFIDENCE).data() for row in range(window.proxy.rowCount())]
    numbers = [float(text.rstrip("%")) for text in scores]
    assert numbers == sorted(numbers, reverse=True)
    window.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
    names = [window.proxy.index(row, NAME).data() for row in range(window.proxy.rowCount())]
    assert names == sorted(names)


def test_counts_stay_right_through_replacements_thresholds_and_truths(
    qapp, tmp_path, tiny_model_dir
):
    from collections import Counter
    from dataclasses import replace

    from edgeclass.desktop.results_model import ALL_LABELS, MISTAKES, PROBLEMS

    results = _real_results(tmp_path, tiny_model_dir, count=6)
    model = ResultsModel()

    def recounted() -> dict[str, int]:
        rows = model.results()
        counts = Counter(r.label for r in rows if r.ok)
        counts[ALL_LABELS] = len(rows)
        counts[PROBLEMS] = sum(not r.ok for r in rows)
        counts[MISTAKES] = sum(model.is_right(r) is False for r in rows)
        return {key: n for key, n in counts.items() if n}

    model.append_results(results)
    assert model.filter_counts() == recounted()
    fixed = next(r for r in _real_results(tmp_path / "again", tiny_model_dir, 1) if r.ok)
    broken_path = next(r.path for r in results if not r.ok)
    model.append_results([replace(fixed, path=broken_path)])  # a fixed file dropped again
    assert model.rowCount() == 7 and model.filter_counts() == recounted()
    assert PROBLEMS not in model.filter_counts()
    wrong = {r.path: r.top_k[1][0] for r in model.results() if r.ok}
    model.set_truths(wrong)  # every labelled row is a mistake now
    assert model.filter_counts() == recounted()
    assert model.filter_counts()[MISTAKES] == 7
    model.set_threshold(max(r.score or 0 for r in model.results()) + 0.01)
    assert model.filter_counts() == recounted()
    assert model.label_counts() == Counter({UNKNOWN_LABEL: 7})
