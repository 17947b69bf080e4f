"""The server stays out of everything else: the desktop app never imports it and the bundle
excludes it (classify's side is tests/cli/test_cli_import_boundary.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import bundle_contents
import pytest

SERVER_MODULES = ("fastapi", "starlette", "uvicorn", "python_multipart", "prometheus_client")

PROBE = """
import json, sys
import edgeclass.desktop.app, edgeclass.desktop.main_window
from edgeclass.cli.main import build_parser
build_parser()
print(json.dumps(sorted(sys.modules)))
"""


def test_the_desktop_app_does_not_import_the_server():
    pytest.importorskip("PySide6", reason="the desktop extra is not installed")
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert completed.returncode == 0, completed.stderr
    modules = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "edgeclass.desktop.app" in modules
    tops = {name.split(".")[0] for name in modules}
    assert not tops & set(SERVER_MODULES), sorted(tops & set(SERVER_MODULES))
    assert not [name for name in modules if name.startswith("edgeclass.serve")]


@pytest.mark.parametrize(
    "module",
    ["edgeclass.serve", "edgeclass.serve.app", "edgeclass.cli.serve", *SERVER_MODULES],
)
def test_the_bundle_excludes_the_server(module):
    assert bundle_contents.module_is_forbidden(module) is not None
    assert bundle_contents.module_is_forbidden("edgeclass.cli.classify") is None
