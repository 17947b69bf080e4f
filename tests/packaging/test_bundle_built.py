"""The built bundle itself: list what is inside and prove the training stack is absent, the
runtime present, and the frozen executables work.

Needs a built bundle, because a PyInstaller build takes minutes:
- EDGECLASS_BUNDLE_DIR=path: test that bundle (CI: after `make bundle`);
- EDGECLASS_BUILD_BUNDLE=1: build dist/edgeclass first (packaging/build_bundle.py --no-smoke);
- otherwise an existing dist/edgeclass is tested, and with none the tests are skipped.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
rules = importlib.import_module("bundle_contents")
check_bundle = importlib.import_module("check_bundle")
smoke_test = importlib.import_module("smoke_test")

DEFAULT_BUNDLE = REPO / "dist" / rules.BUNDLE_NAME
CSV = ("--format", "csv")
SOURCE_RESOURCES = REPO / "src" / "edgeclass" / "resources"

# The only Qt libraries the app may ship: the three modules it uses and what they need on
# each platform (D-Bus for QtGui on Linux, the xcb and Wayland platform glue).
QT_LIBS_ALLOWED = {"Core", "Gui", "Widgets", "DBus", "XcbQpa", "WaylandClient"}
QT_LIB_RE = re.compile(r"^(?:lib)?Qt6?([A-Z][A-Za-z0-9]*?)(?:\.so[.0-9]*|\.dll|\.framework)$")


@pytest.fixture(scope="session")
def bundle_dir() -> Path:
    given = os.environ.get("EDGECLASS_BUNDLE_DIR")
    if given:
        path = Path(given) if Path(given).is_absolute() else REPO / given
        assert path.is_dir(), f"EDGECLASS_BUNDLE_DIR={given}, but there is no bundle there"
        return path
    if os.environ.get("EDGECLASS_BUILD_BUNDLE") == "1":
        build = subprocess.run(
            [sys.executable, str(REPO / "packaging" / "build_bundle.py"), "--no-smoke"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        return DEFAULT_BUNDLE
    if DEFAULT_BUNDLE.is_dir():
        return DEFAULT_BUNDLE
    pytest.skip(
        "no built bundle: run `python packaging/build_bundle.py` first, or set "
        "EDGECLASS_BUILD_BUNDLE=1 to build one here (a PyInstaller build takes minutes)"
    )


@pytest.fixture(scope="session")
def inventory(bundle_dir: Path):
    return rules.inventory(bundle_dir)


def test_two_executables_share_one_contents_folder(bundle_dir: Path, inventory) -> None:
    names = {exe.name for exe in inventory.executables}
    assert names == {
        rules.executable_path(bundle_dir, rules.CLI_NAME).name,
        rules.executable_path(bundle_dir, rules.DESKTOP_NAME).name,
    }
    assert [p.name for p in bundle_dir.iterdir() if p.is_dir()] == [rules.CONTENTS_DIR]
    # One real copy of each library, used by both executables (PyInstaller may add symlinks).
    core = [
        f
        for f in inventory.files
        if Path(f).name in ("libQt6Core.so.6", "Qt6Core.dll", "QtCore")
        and not (inventory.contents_dir / f).is_symlink()
    ]
    assert len(core) == 1, core


@pytest.mark.parametrize(
    "package",
    [
        "torch",
        "transformers",
        "datasets",
        "optimum",
        "mlflow",
        "onnx",
        "scipy",
        "pandas",
        "matplotlib",
        "sklearn",
        "tkinter",
        "accelerate",
        "safetensors",
        "huggingface_hub",
        "edgeclass.trainer",
        "edgeclass.quantize",
        "edgeclass.cli.train",
        "edgeclass.cli.quantize",
        "edgeclass.cli.report",
        "PySide6.QtQml",
        "PySide6.QtQuick",
        "PySide6.QtNetwork",
    ],
)
def test_excluded_package_is_absent(inventory, package: str) -> None:
    modules = sorted(m for m in inventory.modules if m == package or m.startswith(package + "."))
    folder = package.replace(".", "/")
    files = [f for f in inventory.files if f == folder or f.startswith(folder + "/")]
    assert modules == [] and files == []


@pytest.mark.parametrize("module", rules.REQUIRED_MODULES)
def test_needed_module_is_present(inventory, module: str) -> None:
    assert module in inventory.modules


def test_no_file_breaks_the_contents_rules(inventory) -> None:
    assert [
        (f, rules.file_is_forbidden(f)) for f in inventory.files if rules.file_is_forbidden(f)
    ] == []


def test_qt_is_only_what_the_app_uses(inventory) -> None:
    shipped = set()
    for rel in inventory.files:
        for part in Path(rel).parts:
            match = QT_LIB_RE.match(part)
            if match:
                shipped.add(match.group(1))
    assert {"Core", "Gui", "Widgets"} <= shipped
    assert shipped <= QT_LIBS_ALLOWED, shipped - QT_LIBS_ALLOWED
    plugins = {Path(f).parent.name for f in inventory.files if "/plugins/" in f}
    assert plugins <= set(rules.QT_PLUGINS_KEPT), plugins - set(rules.QT_PLUGINS_KEPT)


def test_resources_are_found_where_importlib_resources_looks(inventory) -> None:
    bundled = {f for f in inventory.files if f.startswith("edgeclass/resources/")}
    icons = {
        p.relative_to(REPO / "src").as_posix()
        for p in (SOURCE_RESOURCES / "icons").glob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc")
    }
    assert icons <= bundled, sorted(icons - bundled)
    default = "edgeclass/resources/models/default/"
    if (SOURCE_RESOURCES / "models" / "default" / "model.onnx").is_file():
        # The source's default model, or the one given with --default-model, travels along.
        assert {default + name for name in ("model.onnx", "config.json")} <= bundled


def test_post_build_check_passes(bundle_dir: Path) -> None:
    report = check_bundle.check(bundle_dir)
    assert report["problems"] == []


def test_frozen_cli_classifies_and_reports_bad_files(
    bundle_dir: Path, tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos = smoke_test.write_test_images(tmp_path / "photos", count=4)
    cli = str(rules.executable_path(bundle_dir, rules.CLI_NAME))
    result = subprocess.run(
        [cli, "classify", str(tmp_path / "photos"), "--model", str(tiny_model_dir), *CSV],
        cwd=tmp_path,
        env=smoke_test.clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    rows = {Path(r["path"]).name: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert result.returncode == 1, result.stderr  # some files failed: the three bad ones
    assert len(rows) == len(photos) == 7
    assert {name: rows[name]["status"] for name in smoke_test.BAD_FILES} == smoke_test.BAD_FILES
    assert {r["label"] for n, r in rows.items() if n not in smoke_test.BAD_FILES} <= {
        "cat",
        "dog",
        "bird",
    }


def test_frozen_version_matches_the_package(bundle_dir: Path) -> None:
    import edgeclass

    cli = str(rules.executable_path(bundle_dir, rules.CLI_NAME))
    result = subprocess.run(
        [cli, "--version"], env=smoke_test.clean_env(), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == f"edgeclass {edgeclass.__version__}"


def test_frozen_cli_on_phone_formats(
    bundle_dir: Path, tmp_path: Path, tiny_model_dir: Path
) -> None:
    """AVIF is read in the bundle; HEIC is not bundled yet and says so, with no pip advice only."""
    from PIL import Image, features

    photos = tmp_path / "phone"
    photos.mkdir()
    picture = Image.radial_gradient("L").convert("RGB")
    expected = {}
    if features.check("avif"):
        picture.save(photos / "photo.avif")
        expected["photo.avif"] = "unsupported_format"
    heif = pytest.importorskip("pillow_heif", reason="writing a HEIC file needs pillow-heif")
    heif.from_pillow(picture).save(photos / "photo.heic")
    expected["photo.heic"] = "unsupported_format"
    cli = str(rules.executable_path(bundle_dir, rules.CLI_NAME))
    result = subprocess.run(
        [cli, "classify", str(photos), "--model", str(tiny_model_dir), *CSV],
        env=smoke_test.clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    rows = {Path(r["path"]).name: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert {name: rows[name]["status"] for name in expected} == expected, result.stderr
    assert "cannot read HEIF yet" in rows["photo.heic"]["message"]
    if "photo.avif" in rows:
        assert "cannot read AVIF yet" in rows["photo.avif"]["message"]
