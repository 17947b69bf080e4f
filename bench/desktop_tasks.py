"""The desktop's long tasks, for bench/desktop_responsiveness.py: the UI thread's longest stall
while File > Sort into Folders copies 1,000 photos and while “Why this label?” computes a heat
map, and the process's memory after 10,000 photos. Photos are generated (small JPEGs, made by
edgeclass.desktop.sample_images), never copied from ../shared/data.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edgeclass.desktop.main_window import MainWindow
from edgeclass.desktop.sample_images import make_picture


def generate_photos(folder: Path, count: int, size: tuple[int, int] = (160, 120)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        make_picture(index, size).save(folder / f"photo-{index:05d}.jpg", quality=80)
    return folder


def rss_mb() -> float:
    """The process's resident memory now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def open_window(
    settings_dir: str, model: Path, run_loop_for: Callable[..., None], app: Any
) -> MainWindow:
    from PySide6.QtCore import QSettings

    settings = QSettings(str(Path(settings_dir) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(1100, 720)
    window.show()
    assert window.load_model(model)
    run_loop_for(app, 0.3)
    return window


def classify_in_window(window: MainWindow, paths: list[Path]) -> float:
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    window.runFinished.connect(loop.quit)
    start = time.perf_counter()
    window.classify_paths(paths)
    loop.exec()
    window.runFinished.disconnect(loop.quit)
    return time.perf_counter() - start


def wait_for(signal: Any, start: Callable[[], Any]) -> float:
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    signal.connect(loop.quit)
    began = time.perf_counter()
    start()
    loop.exec()
    signal.disconnect(loop.quit)
    return time.perf_counter() - began


def bench_sort(app: Any, model: Path, probe: Any, run_loop_for: Callable[..., None]) -> dict:
    """1,000 photos classified in the window, then copied by the sort dialog (preview first)."""
    with tempfile.TemporaryDirectory() as temp:
        photos = generate_photos(Path(temp) / "photos", 1000)
        window = open_window(temp, model, run_loop_for, app)
        classify_in_window(window, [photos])
        dialog = window.sort_commands.open_sort_dialog()
        assert dialog is not None
        probe.start()
        # The preview plans 1,000 names on a worker thread; Sort waits for it.
        preview_s = wait_for(
            dialog.previewReady, lambda: dialog.set_destination(Path(temp) / "sorted")
        )
        sort_s = wait_for(dialog.sortEnded, dialog.start)
        probe.stop()
        placed = len(dialog.outcome.placed) if dialog.outcome else 0
        dialog.close()
        window.close()
    return {
        "photos": 1000,
        "placed": placed,
        "mode": "copy",
        "preview_s": round(preview_s, 3),
        "sort_s": round(sort_s, 2),
        "event_loop_latency": probe.summary(),
    }


def bench_heatmap(app: Any, model: Path, probe: Any, run_loop_for: Callable[..., None]) -> dict:
    """“Why this label?” on one 640x480 photo, three times (the first pays for warm-up)."""
    with tempfile.TemporaryDirectory() as temp:
        photo = generate_photos(Path(temp) / "photos", 1, size=(640, 480))
        window = open_window(temp, model, run_loop_for, app)
        classify_in_window(window, [photo])
        panel = window.detail_pane.heatmap
        seconds = []
        probe.start()
        for _ in range(3):
            panel.set_result(window.detail_pane.result())  # forget the last map
            seconds.append(round(wait_for(panel.explainEnded, panel.explain), 2))
        probe.stop()
        window.close()
    return {
        "model": model.name,
        "heatmap_s": seconds,
        "event_loop_latency": probe.summary(),
    }


def bench_memory(app: Any, model: Path, run_loop_for: Callable[..., None], count: int) -> dict:
    """Resident memory before and after `count` small photos are classified in the window."""
    with tempfile.TemporaryDirectory() as temp:
        photos = generate_photos(Path(temp) / "photos", count, size=(96, 72))
        window = open_window(temp, model, run_loop_for, app)
        before = rss_mb()
        seconds = classify_in_window(window, [photos])
        run_loop_for(app, 0.5)
        after = rss_mb()
        rows = window.results_model.rowCount()
        window.close()
    return {
        "photos": count,
        "rows": rows,
        "classify_s": round(seconds, 1),
        "rss_before_mb": before,
        "rss_after_mb": after,
        "rss_per_1000_photos_mb": round((after - before) / max(rows, 1) * 1000, 1),
        "peak_rss_mb": peak_rss_mb(),
    }
