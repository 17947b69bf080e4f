"""The runtime and `edgeclass classify` never import the training stack or the server's
(fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "datasets", "optimum", "mlflow", "PySide6", "ray", "pyarrow")
# The `serve` extra: only `edgeclass serve` may load it.
SERVER = ("fastapi", "starlette", "uvicorn", "python_multipart", "prometheus_client", "swagger_ui")

SCRIPT = """
import json, sys
import edgeclass.runtime
from edgeclass.cli.main import main

code = main(["classify", sys.argv[1], "--model", sys.argv[2], "-q", "-f", "json",
             "-o", sys.argv[3]])
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[4].split(",")))
heavy += [name for name in sys.modules if name.startswith("edgeclass.serve")]
print(json.dumps({"code": code, "heavy": heavy}))
"""


def test_classify_imports_no_heavy_package(make_image, tiny_model_dir, tmp_path):
    image = make_image("cat.jpg")
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, image, tiny_model_dir, out, ",".join(HEAVY + SERVER)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert json.loads(out.read_text())[0]["status"] == "ok"  # it really classified
    assert report["heavy"] == []
