"""The import-linter contracts in pyproject.toml hold, and each one fails on a violation.

Each case copies the package, adds one forbidden import, and runs `lint-imports` on the copy.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BESIDE_PYTHON = Path(sys.executable).with_name("lint-imports")
LINT_IMPORTS = str(BESIDE_PYTHON) if BESIDE_PYTHON.exists() else shutil.which("lint-imports") or ""

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS, reason="import-linter is not installed (the dev extra has it)"
)

CONTRACTS = (
    "Layers: cli over the front ends over the pipelines over the runtime over the base",
    "No training stack in the runtime, classify or the desktop",
    "The desktop app does not import the server",
)


def lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def outcome(output: str, contract: str) -> str:
    flat = " ".join(output.split())  # the report wraps long contract names
    for word in ("KEPT", "BROKEN"):
        if f"{contract} {word}" in flat:
            return word
    raise AssertionError(f"{contract!r} not in the report:\n{output}")


def test_the_package_keeps_every_contract(tmp_path):
    result = lint_imports(ROOT / "src", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [outcome(result.stdout, c) for c in CONTRACTS] == ["KEPT"] * 3


@pytest.mark.parametrize(
    ("module", "violation", "broken"),
    [
        ("runtime/postprocess.py", "import edgeclass.cli.output", CONTRACTS[0]),
        ("quantize/card.py", "import edgeclass.serve.app", CONTRACTS[0]),
        ("runtime/postprocess.py", "def _f():\n    import torch", CONTRACTS[1]),
        ("desktop/export.py", "def _f():\n    import edgeclass.quantize.report", CONTRACTS[1]),
        ("desktop/export.py", "import edgeclass.serve.app", CONTRACTS[2]),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(tmp_path, module, violation, broken):
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "edgeclass",
        src / "edgeclass",
        ignore=shutil.ignore_patterns("__pycache__", "resources"),
    )
    with open(src / "edgeclass" / module, "a", encoding="utf-8") as handle:
        handle.write(f"\n\n{violation}\n")
    result = lint_imports(src, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert outcome(result.stdout, broken) == "BROKEN"
