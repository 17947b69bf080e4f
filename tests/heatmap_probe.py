"""Run in a subprocess by the heat-map budget tests: one heat map, then this process's peak
resident memory, as one JSON line on stdout.

    python heatmap_probe.py cli MODEL IMAGE OUTPUT     # `edgeclass explain`, through main()
    python heatmap_probe.py desktop MODEL IMAGE        # the desktop's "Why this label?" panel
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def explain_in_cli(model: str, image: str, output: str) -> dict:
    from edgeclass.cli.main import main

    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code = main(["explain", image, "-o", output, "--model", model, "--threads", "1"])
    return {"exit_code": code, "stderr": errors.getvalue()}


def explain_in_desktop(model: str, image: str) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from edgeclass.desktop.heatmap_panel import HeatmapPanel
    from edgeclass.runtime import Classifier
    from edgeclass.runtime.results import ClassificationResult, Status

    app = QApplication.instance() or QApplication([])
    classifier = Classifier(model, threads=1)
    panel = HeatmapPanel()
    panel.set_classifier_source(lambda: classifier)
    panel.set_result(ClassificationResult(image, Status.OK, label=classifier.labels[0]))
    outcome: list[str] = []
    loop = QEventLoop()
    panel.explainEnded.connect(lambda ended: (outcome.append(ended), loop.quit()))
    QTimer.singleShot(120_000, loop.quit)
    panel.explain()
    loop.exec()
    panel.stop()
    explanation = panel.explanation
    del app
    return {
        "outcome": outcome[0] if outcome else "timed out",
        "status": panel.status.text(),
        "heat_shape": list(explanation.heat.shape) if explanation is not None else None,
    }


def main(argv: list[str]) -> int:
    kind, *args = argv
    found = explain_in_cli(*args) if kind == "cli" else explain_in_desktop(*args)
    print(json.dumps({**found, "peak_rss_mb": round(peak_rss_mb(), 1)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
