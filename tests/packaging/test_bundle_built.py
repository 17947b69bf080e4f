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
from edgeclass_test_images import photo_like
from privacy_probe import Sandbox, assert_private, traced

REPO = Path(__file__).resolve().parents[2]
rules = importlib.import_module("bundle_contents")
check_bundle = importlib.import_module("check_bundle")
smoke_test = importlib.import_module("smoke_test")

DEFAULT_BUNDLE = REPO / "dist" / rules.BUNDLE_NAME
CSV = ("--format", "csv")
SOURCE_RESOURCES = REPO / "src" / "edgeclass" / "resources"
DEFAULT_MODEL_IN_BUNDLE = Path(rules.CONTENTS_DIR, "edgeclass", "resources", "models", "default")

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
    assert rules.has_required_module(inventory.modules, module)


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


@pytest.mark.parametrize("program", ["cli", "desktop"])
def test_frozen_programs_keep_everything_on_this_computer(
    bundle_dir: Path, tmp_path: Path, tiny_model_dir: Path, program: str
) -> None:
    """In a throw-away HOME, under strace: no onnxruntime device id or event queue, nothing
    written but the output, no DNS lookup or connection (tests/privacy_probe.py)."""
    box = Sandbox(tmp_path / "sandbox")
    (box.work / "photos").mkdir()
    smoke_test.write_test_images(box.work / "photos", count=4)
    box.snapshot()
    if program == "cli":
        exe = rules.executable_path(bundle_dir, rules.CLI_NAME)
        command = [str(exe), "classify", "photos", "--model", str(tiny_model_dir), "-o", "out.csv"]
        allowed: tuple[str, ...] = ("work/out.csv",)
        expected = 1  # the three bad files
    else:
        exe = rules.executable_path(bundle_dir, rules.DESKTOP_NAME)
        command = [str(exe), "--self-test", "--model", str(tiny_model_dir)]
        allowed, expected = (), 0
    result = subprocess.run(
        traced(command, box.trace_log),
        cwd=box.work,
        env=box.env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == expected, result.stdout + result.stderr
    assert_private(box, allowed)


def test_frozen_version_matches_the_package(bundle_dir: Path) -> None:
    import edgeclass

    cli = str(rules.executable_path(bundle_dir, rules.CLI_NAME))
    result = subprocess.run(
        [cli, "--version"], env=smoke_test.clean_env(), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == f"edgeclass {edgeclass.__version__}"


def test_frozen_cli_reads_phone_formats(bundle_dir: Path, tmp_path: Path) -> None:
    """HEIC (pillow-heif; on Linux with the x265 stand-in) and AVIF (Pillow's own plugin) are
    classified by the frozen CLI with its bundled default model, exactly as the installed
    package classifies them."""
    pillow_heif = pytest.importorskip("pillow_heif", reason="writing a HEIC file needs pillow-heif")
    from PIL import Image, features

    if not features.check("avif"):
        pytest.skip("writing an AVIF file needs a Pillow with AVIF support (11.3+ from PyPI)")
    if not (bundle_dir / DEFAULT_MODEL_IN_BUNDLE / "model.onnx").is_file():
        pytest.skip("this bundle has no default model to classify with")
    photos = tmp_path / "phone"
    photos.mkdir()
    for seed, name in enumerate(("iphone.heic", "android.avif")):
        picture = Image.fromarray(photo_like(320, 240, seed=seed))
        if name.endswith(".heic"):
            pillow_heif.from_pillow(picture).save(photos / name, quality=80)
        else:
            picture.save(photos / name, quality=80)
    assert (photos / "iphone.heic").read_bytes()[4:12] == b"ftypheic"
    assert (photos / "android.avif").read_bytes()[4:12] == b"ftypavif"
    cli = str(rules.executable_path(bundle_dir, rules.CLI_NAME))
    result = subprocess.run(
        [cli, "classify", str(photos), *CSV],
        cwd=tmp_path,
        env=smoke_test.clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    frozen = smoke_test.parse_csv(result.stdout)
    assert {name: (r["status"], r["width"], r["height"]) for name, r in frozen.items()} == {
        "iphone.heic": ("ok", "320", "240"),
        "android.avif": ("ok", "320", "240"),
    }
    installed = smoke_test.compare_with_installed(
        frozen, photos, bundle_dir / DEFAULT_MODEL_IN_BUNDLE, tmp_path
    )
    assert installed == {"files": 2, "differences": []}


def test_x265_is_the_stand_in(bundle_dir: Path, inventory) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the x265 stand-in is built on Linux only")
    x265 = [f for f in inventory.files if re.fullmatch(rules.X265_LIBRARY, Path(f).name)]
    assert x265, "pillow-heif's libx265 (needed by libheif) is missing"
    assert rules.oversized_x265(inventory) == []


def test_bundle_stays_within_the_size_budget(bundle_dir: Path) -> None:
    """The app without its bundled model (build_bundle.py's budget check), and the whole folder
    users download when the bundled model is the source tree's default."""
    build_bundle = importlib.import_module("build_bundle")
    total = rules.size_on_disk(bundle_dir)[0]
    app_bytes = total - build_bundle.model_bytes(bundle_dir)
    budget = rules.SIZE_TARGET_MIB * 2**20
    largest = rules.largest_files(bundle_dir, 8)
    assert app_bytes <= budget, f"{app_bytes / 2**20:.1f} MiB without the model; {largest}"
    source_model = SOURCE_RESOURCES / "models" / "default" / "model.onnx"
    bundled_model = bundle_dir / DEFAULT_MODEL_IN_BUNDLE / "model.onnx"
    shipped_default = bundled_model.is_file() and source_model.is_file()
    if shipped_default and bundled_model.read_bytes() == source_model.read_bytes():
        assert total <= budget, f"{total / 2**20:.1f} MiB with the default model; {largest}"
