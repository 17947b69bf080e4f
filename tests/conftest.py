"""Shared fixtures: the committed tiny ONNX model folder and an image-file factory."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from edgeclass_test_images import photo_like
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


@pytest.fixture(scope="session")
def catsdogs_photos() -> list[Path]:
    """30 real photos (15 cats, 15 dogs) of ../shared/data/catsdogs/test, or a skip."""
    folders = [CATSDOGS_TEST / "cat", CATSDOGS_TEST / "dog"]
    if not all(folder.is_dir() for folder in folders):
        pytest.skip(f"real photos not found at {CATSDOGS_TEST} (../shared/data from the repo root)")
    return [path for folder in folders for path in sorted(folder.glob("*.jpg"))[:15]]
