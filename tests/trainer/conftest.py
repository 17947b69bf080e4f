"""Fixtures for trainer tests: small folders of real image files and a tiny MobileViT config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Busy shared CPUs: spinning OpenMP threads slow small trainings down many times over.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _tiny_config():
    from make_tiny_model import tiny_config

    config = tiny_config()
    config.image_size = 32
    return config


@pytest.fixture
def tiny_config():
    return _tiny_config()


@pytest.fixture(scope="module")
def tiny_config_module():
    return _tiny_config()


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    from trainer_data import make_folder

    return make_folder(tmp_path / "data", per_class=16)
