"""Desktop responsiveness: launch-to-window time, a 1,000-photo drop with UI latency, the
UI's longest stall while sorting and while computing a heat map, and memory after 10,000 photos.

    python bench/desktop_responsiveness.py [--photos DIR] [--model DIR] [--repeats 3]
        [--parts launch,drop,sort,heatmap,memory] [--memory-photos 10000]

Prints one JSON object. Side by side in one run, because the machines are shared and noisy:
- launch: `python -m edgeclass.desktop`'s window vs. a bare PySide6 window (ratio = overhead),
  each in a fresh process, timed from spawn until the window's first paint.
- drop: the same photos classified headless (Classifier.classify_paths, as the CLI does) and
  through the real window (a hand-built drop event -> worker -> table), with a QTimer ticking
  every 10 ms that records how late each tick fires: the UI event loop's latency. It must stay
  under 100 ms (max and p99). An idle period measures the timer's own noise.

- sort, heatmap, memory (bench/desktop_tasks.py, on generated photos): File > Sort into
  Folders copying 1,000 photos, “Why this label?” with the bundled default model, resident
  memory after 10,000 small photos. The same latency probe; stalls must stay under 100 ms.

Default photos: ../shared/data/catsdogs/test (1,000 JPEGs, never copied anywhere); default model:
tests/fixtures/tiny_mobilevit (a tiny random MobileViT: it measures the app, not the model).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PHOTOS = REPO.parent / "shared" / "data" / "catsdogs" / "test"
DEFAULT_MODEL = REPO / "tests" / "fixtures" / "tiny_mobilevit"
TICK_MS = 10

BARE_WINDOW = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
class First(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print("painted", flush=True); QTimer.singleShot(0, app.quit)
        return False
w = QMainWindow(); w.resize(1100, 720); f = First(); w.installEventFilter(f); w.show()
app.exec()
"""

# What edgeclass.desktop.app.main does (create_application, MainWindow, show), plus markers.
APP_WINDOW = """
import sys, tempfile
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from edgeclass.desktop.application import create_application
from edgeclass.desktop.main_window import MainWindow
app = create_application()
temp = tempfile.TemporaryDirectory()
settings = QSettings(str(Path(temp.name) / "s.ini"), QSettings.Format.IniFormat)
w = MainWindow(settings)
def load_model():
    w.load_initial_model(sys.argv[1])
    print("model", flush=True)
    app.quit()
class First(QObject):
    done = False
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            print("painted", flush=True)
            QTimer.singleShot(0, load_model)
        return False
f = First(); w.installEventFilter(f); w.show()
app.exec()
"""


def time_launch(code: str, args: list[str]) -> dict[str, float]:
    """Seconds from spawning a fresh Python until each marker line appears."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    marks = {}
    for line in process.stdout:
        marks[line.strip()] = time.perf_counter() - start
    process.wait(timeout=60)
    return marks


def bench_launch(model: Path, repeats: int) -> dict:
    bare, window, with_model = [], [], []
    for _ in range(repeats):  # interleaved, so both see the same machine load
        bare.append(time_launch(BARE_WINDOW, [])["painted"])
        marks = time_launch(APP_WINDOW, [str(model)])
        window.append(marks["painted"])
        with_model.append(marks["model"])
    return {
        "bare_pyside6_window_s": round(statistics.median(bare), 3),
        "edgeclass_window_shown_s": round(statistics.median(window), 3),
        "edgeclass_model_loaded_s": round(statistics.median(with_model), 3),
        "window_vs_bare_ratio": round(statistics.median(window) / statistics.median(bare), 2),
        "repeats": repeats,
    }


class LatencyProbe:
    """A QTimer every 10 ms; lateness = time since the previous tick minus 10 ms."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.late_ms: list[float] = []
        self._last = 0.0
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.late_ms.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late_ms.append(max((now - self._last) * 1000 - TICK_MS, 0.0))
        self._last = now

    def summary(self) -> dict:
        values = sorted(self.late_ms) or [0.0]
        return {
            "ticks": len(self.late_ms),
            "max_ms": round(values[-1], 1),
            "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))], 1),
            "p50_ms": round(statistics.median(values), 1),
        }


def run_loop_for(app, seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def bench_drop(photos: Path, model: Path) -> dict:
    from desktop_tasks import open_window
    from PySide6.QtCore import QEventLoop, QMimeData, QPoint, Qt, QThreadPool, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from edgeclass.desktop.application import create_application
    from edgeclass.runtime import Classifier, find_images

    app = create_application()
    files = find_images([photos], recursive=True)
    for path in files:  # warm the file cache, so neither side pays for the first read
        path.read_bytes()

    classifier = Classifier(model)
    start = time.perf_counter()
    headless = list(classifier.classify_paths(files))
    headless_s = time.perf_counter() - start

    probe = LatencyProbe()
    probe.start()
    run_loop_for(app, 2.0)
    probe.stop()
    idle = probe.summary()

    with tempfile.TemporaryDirectory() as temp:
        window = open_window(temp, model, run_loop_for, app)
        last_rows = [0.0]
        window.results_model.rowsInserted.connect(
            lambda *_: last_rows.__setitem__(0, time.perf_counter())
        )
        loop = QEventLoop()
        window.runFinished.connect(loop.quit)

        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(photos))])
        # QPoint: PySide6 6.11 takes no QPointF here (only 6.12 does)
        where = QPoint(window.drop_zone.width() // 2, window.drop_zone.height() // 2)
        args = (where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton)
        QApplication.sendEvent(
            window.drop_zone, QDragEnterEvent(*args, Qt.KeyboardModifier.NoModifier)
        )
        probe.start()
        dropped = time.perf_counter()
        QApplication.sendEvent(window.drop_zone, QDropEvent(*args, Qt.KeyboardModifier.NoModifier))
        loop.exec()
        finished = time.perf_counter()
        probe.stop()
        rows = window.results_model.rowCount()
        ok = sum(1 for r in window.results_model.results() if r.ok)
        window.close()
        QThreadPool.globalInstance().waitForDone()
    ui_s = last_rows[0] - dropped
    return {
        "photos": str(photos),
        "files": len(files),
        "headless_s": round(headless_s, 2),
        "headless_files_per_s": round(len(headless) / headless_s, 1),
        "drop_to_last_result_s": round(ui_s, 2),
        "drop_to_finished_s": round(finished - dropped, 2),
        "ui_files_per_s": round(rows / ui_s, 1),
        "ui_vs_headless_time_ratio": round(ui_s / headless_s, 2),
        "rows": rows,
        "ok_rows": ok,
        "event_loop_latency_during_run": probe.summary(),
        "event_loop_latency_idle": idle,
    }


PARTS = ("launch", "drop", "sort", "heatmap", "memory")


def bench_tasks(parts: set[str], model: Path, memory_photos: int) -> dict:
    import desktop_tasks

    from edgeclass.desktop.application import create_application
    from edgeclass.runtime import resolve_model_dir

    app = create_application()
    idle = LatencyProbe()  # the timer's own noise on this machine, for scale
    idle.start()
    run_loop_for(app, 2.0)
    idle.stop()
    found: dict = {"event_loop_latency_idle": idle.summary()}
    if "sort" in parts:
        found["sort"] = desktop_tasks.bench_sort(app, model, LatencyProbe(), run_loop_for)
    if "heatmap" in parts:
        default = resolve_model_dir(None)
        found["heatmap"] = desktop_tasks.bench_heatmap(app, default, LatencyProbe(), run_loop_for)
    if "memory" in parts:
        found["memory"] = desktop_tasks.bench_memory(app, model, run_loop_for, memory_photos)
    return found


def cpu_description() -> dict:
    from edgeclass.quantize.sysinfo import cpu_info

    info = cpu_info()
    return {"model": info["model"], "isa": [name for name, on in info["isa"].items() if on]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--repeats", type=int, default=3, help="launch timings (median)")
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated subset")
    parser.add_argument("--memory-photos", type=int, default=10_000)
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        parser.error(f"--parts: unknown {sorted(parts - set(PARTS))}; choose from {PARTS}")
    if "drop" in parts and not args.photos.is_dir():
        print(f"no photos at {args.photos} (../shared/data is not here)", file=sys.stderr)
        return 2
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import PySide6

    result: dict = {
        "benchmark": "desktop_responsiveness",
        "qt_platform": os.environ.get(
            "QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else ""
        ),
        "pyside6": PySide6.__version__,
        "cpu": cpu_description(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "model": str(args.model),
    }
    if "launch" in parts:
        result["launch"] = bench_launch(args.model, args.repeats)
    if "drop" in parts:
        result["drop"] = bench_drop(args.photos, args.model)
    result.update(bench_tasks(parts, args.model, args.memory_photos))
    stalls = [
        section["event_loop_latency"]
        for section in (result.get("sort"), result.get("heatmap"))
        if section is not None
    ]
    if "drop" in result:
        stalls.append(result["drop"]["event_loop_latency_during_run"])
    result["latency_under_100ms"] = all(s["max_ms"] < 100 and s["p99_ms"] < 100 for s in stalls)
    result["load_average_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
