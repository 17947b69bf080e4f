"""Shared fixtures: a hermetic environment for every test, the committed tiny ONNX model folder,
an image-file factory, and the real photos of ../shared/data."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from edgeclass_test_images import photo_like
from PIL import Image
from shared_data import catsdogs_test_dir, require_shared_data

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY_MODEL_DIR = REPO_ROOT / "tests" / "fixtures" / "tiny_mobilevit"

# What the product reads from the environment ($EDGECLASS_MODEL, $EDGECLASS_API_KEY), and what
# its libraries do: MLflow's tracking server and run, Ray's cluster, Hugging Face's hub and
# caches. None of it may leak in from the machine the tests run on.
CLEARED = ("EDGECLASS_MODEL", "EDGECLASS_API_KEY", "DISPLAY", "WAYLAND_DISPLAY")
CLEARED_PREFIXES = ("MLFLOW_", "RAY_", "HF_", "HUGGINGFACE_", "TRANSFORMERS_")
DATA_FIXTURES = {"catsdogs_test", "catsdogs_photos"}


@pytest.fixture(scope="session", autouse=True)
def hermetic_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test (and every subprocess it starts) sees the same environment on any machine: a
    fresh home and XDG folders (Qt settings, caches), no model, key, tracking server or Ray
    cluster chosen from outside, the hub offline, Qt without a display."""
    home = tmp_path_factory.mktemp("home")
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    # Ray puts its sockets under RAY_TMPDIR: a short path (sockets are limited to 107 bytes)
    # of our own, so that a cluster already running on the machine is neither found nor touched.
    ray_tmp = tempfile.mkdtemp(prefix="ecray-")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name in CLEARED or name.startswith(CLEARED_PREFIXES):
                patch.delenv(name)
        for name, value in {
            "HOME": home,
            "XDG_CONFIG_HOME": home / ".config",
            "XDG_CACHE_HOME": home / ".cache",
            "XDG_DATA_HOME": home / ".local" / "share",
            "XDG_STATE_HOME": home / ".local" / "state",
            "XDG_RUNTIME_DIR": runtime,
            "QT_QPA_PLATFORM": "offscreen",
            "HF_HUB_OFFLINE": "1",
            "RAY_ADDRESS": "local",  # ray.init() starts its own, never joins one running here
            "RAY_TMPDIR": ray_tmp,
        }.items():
            patch.setenv(name, str(value))
        yield
    shutil.rmtree(ray_tmp, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the real photos is marked so, whichever way it asks for them."""
    for item in items:
        if DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.needs_shared_data)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_shared_data") is not None:
        require_shared_data()


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
def catsdogs_test() -> Path:
    """../shared/data/catsdogs/test (cat/, dog/: 500 photos each), or a skip (shared_data.py)."""
    require_shared_data()
    return catsdogs_test_dir()


@pytest.fixture(scope="session")
def catsdogs_photos(catsdogs_test: Path) -> list[Path]:
    """30 real photos (15 cats, 15 dogs) of ../shared/data/catsdogs/test, or a skip."""
    folders = [catsdogs_test / "cat", catsdogs_test / "dog"]
    return [path for folder in folders for path in sorted(folder.glob("*.jpg"))[:15]]
