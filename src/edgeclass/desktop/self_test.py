"""`--self-test`: the real window and worker, offscreen, on a few generated images.

Prints one JSON object and returns 0 when every good image was classified and the corrupt one
got a failure status; the packaging smoke test runs this inside the bundle.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from edgeclass.desktop.sample_images import write_sample_images

if TYPE_CHECKING:
    from PySide6.QtCore import QMessageLogContext, QtMsgType

TIMEOUT_MS = 120_000


def _quiet_offscreen_notes(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """The offscreen platform's notes about window hints are noise here; the rest is shown."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def run_self_test(model_dir: str | None = None, qt_args: Sequence[str] = ()) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import (
        QEventLoop,
        QSettings,
        QThreadPool,
        QTimer,
        qInstallMessageHandler,
        qVersion,
    )

    from edgeclass.desktop.application import create_application
    from edgeclass.desktop.binding_check import binding_problem
    from edgeclass.desktop.main_window import MainWindow

    started = time.perf_counter()
    qInstallMessageHandler(_quiet_offscreen_notes)
    app = create_application(qt_args)
    summary: dict[str, object] = {"self_test": "edgeclass-desktop", "qt": qVersion()}
    errors: list[str] = []
    broken_binding = binding_problem()
    if broken_binding:
        errors.append(broken_binding)
    with tempfile.TemporaryDirectory(prefix="edgeclass-self-test-") as temp:
        temp_dir = Path(temp)
        # A private settings file: the self-test must not read or change the user's settings.
        settings = QSettings(str(temp_dir / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.report_error = lambda title, text: errors.append(f"{title}: {text}")
        window.show()
        summary["platform"] = app.platformName()
        if not window.load_initial_model(model_dir) or window.classifier is None:
            summary.update(ok=False, error=window.model_error or "no model could be loaded")
            summary["hint"] = window.drop_zone.message()[1]
            window.close()
            print(json.dumps(summary, indent=2))
            return 2
        summary["model"] = str(window.classifier.folder.path)
        good, corrupt = write_sample_images(temp_dir / "photos")

        loop = QEventLoop()
        window.runFinished.connect(loop.quit)
        timer = QTimer(singleShot=True)
        timer.timeout.connect(loop.quit)
        timer.start(TIMEOUT_MS)
        window.classify_paths([temp_dir / "photos"])
        loop.exec()
        timed_out = not timer.isActive()
        results = {Path(r.path).name: r for r in window.results_model.results()}
        window.close()
        QThreadPool.globalInstance().waitForDone(10_000)

    labels = set(window.classifier.labels) | {"unknown"}
    problems = []
    if timed_out:
        problems.append(f"no result within {TIMEOUT_MS / 1000:.0f} s")
    for path in good:
        result = results.get(path.name)
        if result is None or not result.ok or result.label not in labels:
            problems.append(f"{path.name}: {result.status.value if result else 'missing'}")
    corrupt_result = results.get(corrupt.name)
    if corrupt_result is None or corrupt_result.ok:
        problems.append(f"{corrupt.name}: a corrupt file was not reported")
    problems.extend(errors)
    summary.update(
        ok=not problems,
        files=len(results),
        statuses=dict(Counter(r.status.value for r in results.values())),
        labels=dict(Counter(r.label for r in results.values() if r.ok)),
        seconds=round(time.perf_counter() - started, 2),
        problems=problems,
    )
    print(json.dumps(summary, indent=2))
    return 0 if not problems else 1
