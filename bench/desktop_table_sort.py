"""How long a click on a column header freezes the window, at 10,000 rows: before and after.

    QT_QPA_PLATFORM=offscreen python bench/desktop_table_sort.py [--rows 10000] [--repeats 3]

Prints one JSON object. Both ways run side by side in one process, on the same rows, in the real
table view (shown offscreen, so the sort ends with a repaint of the visible rows):
- before: the way the app sorted until issue 23, reproduced here: QSortFilterProxyModel sorting
  by a sort role that the model's Python `data()` answers, twice per comparison;
- after: the app's ResultsFilterProxy, which hands the sort to ResultsModel (one key per row,
  Python's sort, one layout change).
Also the cost of a streamed batch of 64 rows arriving in a table sorted by name (each row
inserted in its place). The goal (issue 23): under 200 ms per sort at 10,000 rows.

The rows are made up (no files are read): names, folders, labels, scores, some failures, and a
truth for half of them, so every column has something to sort. The JSON records the CPU, its
ISA flags and the load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import QApplication

from edgeclass.desktop.results_model import (
    CONFIDENCE,
    FOLDER,
    LABEL,
    MESSAGE,
    NAME,
    STATUS,
    TRUTH,
    ResultRole,
    ResultsFilterProxy,
    ResultsModel,
)
from edgeclass.desktop.results_table import ResultsTable
from edgeclass.runtime.results import ClassificationResult, Status

LABELS = ("cat", "dog", "bird", "fish")
COLUMNS = {"name": NAME, "folder": FOLDER, "label": LABEL, "truth": TRUTH, "confidence": CONFIDENCE}
OLD_SORT_ROLE = Qt.ItemDataRole.UserRole + 2
_Index = QModelIndex | QPersistentModelIndex


def make_rows(count: int, seed: int = 0) -> tuple[list[ClassificationResult], dict[str, str]]:
    rng = random.Random(seed)
    rows, truths = [], {}
    for index in range(count):
        folder = f"/photos/{rng.choice(['2019', '2021', '2023'])}/{rng.choice(LABELS)}"
        path = f"{folder}/IMG_{rng.randrange(100000):05d}-{index}.jpg"
        if rng.random() < 0.02:
            rows.append(ClassificationResult(path, Status.UNREADABLE, message="cut off"))
            continue
        scores = sorted((rng.random() for _ in LABELS), reverse=True)
        total = sum(scores)
        top = tuple(zip(rng.sample(LABELS, len(LABELS)), (s / total for s in scores), strict=True))
        rows.append(
            ClassificationResult(path, Status.OK, top[0][0], top[0][1], top, width=640, height=480)
        )
        if index % 2 == 0:
            truths[path] = rng.choice(LABELS)
    return rows, truths


class PerComparisonModel(ResultsModel):
    """ResultsModel answering the old sort role: the key the old model gave per call."""

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != OLD_SORT_ROLE:
            return super().data(index, role)
        result: ClassificationResult = super().data(index, ResultRole)
        column = index.column()
        if column == NAME:
            return os.path.basename(result.path).lower()
        if column == FOLDER:
            return os.path.dirname(result.path).lower()
        if column == LABEL:
            return result.label or ""
        if column == TRUTH:
            return super().data(index, Qt.ItemDataRole.DisplayRole)
        if column == CONFIDENCE:
            return -1.0 if result.score is None else float(result.score)
        if column == STATUS:
            return result.status.value
        if column == MESSAGE:
            return result.message
        return index.row()


class PerComparisonProxy(QSortFilterProxyModel):
    """The old proxy: Qt's own sort over the sort role, and a label filter in Python."""

    def __init__(self) -> None:
        super().__init__()
        self.setSortRole(OLD_SORT_ROLE)
        self.setDynamicSortFilter(True)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        return True  # the "All" entry of the Show box, as in the old proxy


def table_with(model: ResultsModel, proxy: QSortFilterProxyModel) -> ResultsTable:
    proxy.setSourceModel(model)
    table = ResultsTable(proxy)
    table.resize(1100, 700)
    table.setColumnHidden(TRUTH, False)
    table.show()
    QApplication.processEvents()
    return table


def time_sort(table: ResultsTable, column: int, order: Qt.SortOrder) -> float:
    """Seconds from the header click's sort to the repainted view."""
    start = time.perf_counter()
    table.sortByColumn(column, order)
    table.viewport().repaint()
    QApplication.processEvents()
    return time.perf_counter() - start


def bench_way(
    model: ResultsModel,
    proxy: QSortFilterProxyModel,
    sorts: list[tuple[str, Qt.SortOrder]],
    repeats: int,
) -> dict[str, float]:
    table = table_with(model, proxy)
    timings: dict[str, float] = {}
    for name, order in sorts:
        direction = "asc" if order == Qt.SortOrder.AscendingOrder else "desc"
        runs = []
        for _ in range(repeats):
            table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # arrival order in between
            QApplication.processEvents()
            runs.append(time_sort(table, COLUMNS[name], order))
        timings[f"{name}_{direction}_ms"] = round(1000 * statistics.median(runs), 1)
    table.close()
    return timings


def bench_streaming(rows: list[ClassificationResult], truths: dict[str, str]) -> dict[str, float]:
    """A batch of 64 rows arriving in a table of the rest, sorted by name."""
    model = ResultsModel()
    proxy = ResultsFilterProxy()
    batch = 64
    model.append_results(rows[:-batch])
    model.set_truths(truths)
    table = table_with(model, proxy)
    table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
    QApplication.processEvents()
    start = time.perf_counter()
    model.append_results(rows[-batch:])
    table.viewport().repaint()
    QApplication.processEvents()
    seconds = time.perf_counter() - start
    table.close()
    return {"rows_before": len(rows) - batch, "batch": batch, "batch_ms": round(1000 * seconds, 1)}


def cpu_description() -> dict[str, Any]:
    from edgeclass.quantize.sysinfo import cpu_info

    info = cpu_info()
    return {"model": info["model"], "isa": [name for name, on in info["isa"].items() if on]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="runs per sort (median)")
    parser.add_argument(
        "--before-repeats", type=int, default=1, help="runs per sort the old way (seconds each)"
    )
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    rows, truths = make_rows(args.rows)
    load_start = round(os.getloadavg()[0], 2)

    def filled(model: ResultsModel) -> ResultsModel:
        model.append_results(rows)
        model.set_truths(truths)
        return model

    asc, desc = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
    compared = [("name", asc), ("confidence", desc)]
    every = [(name, order) for name in COLUMNS for order in (asc, desc)]
    before = bench_way(
        filled(PerComparisonModel()), PerComparisonProxy(), compared, args.before_repeats
    )
    after = bench_way(filled(ResultsModel()), ResultsFilterProxy(), every, args.repeats)
    ratios = {key: round(before[key] / after[key], 1) for key in before if after.get(key)}
    report = {
        "bench": "desktop_table_sort",
        "rows": args.rows,
        "before_per_comparison_proxy": before,
        "after_sorted_in_model": after,
        "speedup": ratios,
        "after_worst_ms": max(after.values()),
        "goal_ms": 200,
        "streamed_batch_into_sorted_table": bench_streaming(rows, truths),
        "cpu": cpu_description(),
        "cpu_count": os.cpu_count(),
        "pyside6": pyside_version,
        "qpa_platform": os.environ.get("QT_QPA_PLATFORM", ""),
        "load_average_at_start": load_start,
        "load_average_at_end": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report, indent=2))
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
