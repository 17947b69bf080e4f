"""sort, evaluate and explain stay on the runtime: no heavy package (fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "datasets", "optimum", "mlflow", "PySide6", "onnx", "matplotlib")

SCRIPT = """
import json, sys
import edgeclass.organize, edgeclass.runtime.evaluation, edgeclass.runtime.occlusion
import edgeclass.runtime.heatmap, edgeclass.cli.sort, edgeclass.cli.evaluate, edgeclass.cli.explain
from edgeclass.cli.main import build_parser
build_parser()
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1].split(",")))))
"""


def test_new_tools_import_no_heavy_package():
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(HEAVY)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
