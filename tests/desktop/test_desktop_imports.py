"""The desktop app is runtime: PySide6, onnxruntime, numpy and Pillow; nothing heavier."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("torch", "transformers", "datasets", "optimum", "mlflow", "onnx", "accelerate", "sklearn")

PROBE = """
import json, sys
import edgeclass.desktop.app, edgeclass.desktop.main_window, edgeclass.desktop.self_test
from edgeclass.desktop.application import create_application
from edgeclass.desktop.main_window import MainWindow
from PySide6.QtCore import QSettings
app = create_application()
window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.load_model(sys.argv[2])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_desktop_app_imports_no_training_stack(tmp_path, tiny_model_dir):
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "s.ini"), str(tiny_model_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert completed.returncode == 0, completed.stderr
    modules = set(json.loads(completed.stdout.strip().splitlines()[-1]))
    assert {"PySide6", "onnxruntime", "numpy", "PIL"} <= modules
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
