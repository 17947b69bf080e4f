"""Small shared libraries compiled with gcc for the tests of packaging/linux (Linux only), and
the import of those build-time modules, which sit outside any package."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]

needs_gcc = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and shutil.which("gcc") and shutil.which("nm")),
    reason="libraries built with gcc and read with binutils, on Linux",
)


def linux_packaging_module(name: str) -> ModuleType:
    """packaging/linux/<name>.py (stdlib-only build helpers)."""
    folder = str(REPO / "packaging" / "linux")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def build_library(path: Path, source: str, *args: str) -> Path:
    """Compile C `source` into the shared library `path` (extra gcc arguments after it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    c_file = path.with_suffix(".c")
    c_file.write_text(source, encoding="utf-8")
    command = ["gcc", "-shared", "-fPIC", "-o", str(path), str(c_file), *args]
    subprocess.run(command, check=True, timeout=120)
    return path
