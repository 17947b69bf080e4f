"""The version is written once, in edgeclass/__init__.py; packaging and `--version` read it."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import edgeclass

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_edgeclass_version_is_the_installed_distributions():
    result = subprocess.run(
        [sys.executable, "-m", "edgeclass", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"edgeclass {importlib.metadata.version('edgeclass')}"


def test_pyproject_takes_its_version_from_the_package():
    from setuptools.config.pyprojecttoml import read_configuration

    project = read_configuration(PYPROJECT, expand=False)["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert read_configuration(PYPROJECT)["project"]["version"] == edgeclass.__version__
