"""Shared fixtures: the committed tiny ONNX model folder and an image-file factory."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY_MODEL_DIR = REPO_ROOT / "tests" / "fixtures" / "tiny_mobilevit"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
CATSDOGS_TEST = SHARED_DATA / "catsdogs" / "test"


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """The committed tiny MobileViT ONNX folder (read-only: copy it before changing anything)."""
    assert (TINY_MODEL_DIR / "model.onnx").is_file(), "run tests/fixtures/make_tiny_model.py"
    return TINY_MODEL_DIR


@pytest.fixture
def model_copy(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """A writable copy of the tiny model folder, for tests that break it on purpose."""
    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target)
    return target


def photo_like(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth RGB uint8 picture (gradients + a blob) that JPEG keeps close to the original."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    blob = np.exp(-(((x - cx) / (0.2 * width)) ** 2 + ((y - cy) / (0.2 * height)) ** 2))
    red = 255 * x / max(width - 1, 1)
    green = 255 * y / max(height - 1, 1)
    blue = 255 * blob
    base = np.stack([red, green, blue], axis=-1) * rng.uniform(0.5, 1.0, size=3)
    return np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)


ImageFactory = Callable[..., Path]


@pytest.fixture
def make_image(tmp_path: Path) -> ImageFactory:
    """make_image(name, size=(w, h), mode="RGB", seed=0, fmt=None, **save_kwargs) -> Path.

    Writes a real image file under tmp_path/images, converted to `mode` from a photo-like RGB
    picture; `fmt` defaults to the extension's format.
    """
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)

    def factory(
        name: str,
        size: tuple[int, int] = (96, 80),
        mode: str = "RGB",
        seed: int = 0,
        fmt: str | None = None,
        **save_kwargs,
    ) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.fromarray(photo_like(*size, seed=seed))
        if mode != "RGB":
            image = image.convert(mode)
        image.save(path, format=fmt, **save_kwargs)
        return path

    return factory
