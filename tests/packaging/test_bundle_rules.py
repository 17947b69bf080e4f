"""The rules behind the bundle check (packaging/bundle_contents.py), on synthetic bundles: they
must reject what would bloat or break the bundle and accept what it needs. No build needed."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
rules = importlib.import_module("bundle_contents")
check_bundle = importlib.import_module("check_bundle")


@pytest.mark.parametrize(
    ("module", "banned"),
    [
        ("torch", "torch"),
        ("torch.nn.functional", "torch"),
        ("transformers.models.mobilevit", "transformers"),
        ("onnx", "onnx"),
        ("onnx.helper", "onnx"),
        ("onnxruntime", None),
        ("onnxruntime.capi.onnxruntime_pybind11_state", None),
        ("onnxruntime.quantization.quantize", "onnxruntime.quantization"),
        ("edgeclass.cli.classify", None),
        ("edgeclass.cli.train", "edgeclass.cli.train"),
        ("edgeclass.trainer.loop", "edgeclass.trainer"),
        ("edgeclass.quantize", "edgeclass.quantize"),
        ("PySide6.QtWidgets", None),
        ("PySide6.QtQml", "PySide6.QtQml"),
        ("tkinter.ttk", "tkinter"),
        ("torchvision", "torchvision"),
        ("pandas", "pandas"),
        ("numpy", None),
        ("pillow_heif", None),
        ("_pillow_heif", None),
        ("PIL.AvifImagePlugin", None),
    ],
)
def test_module_rule(module: str, banned: str | None) -> None:
    assert rules.module_is_forbidden(module) == banned


@pytest.mark.parametrize(
    "path",
    [
        "torch/lib/libtorch_cpu.so",
        "transformers/__init__.pyc",
        "scipy/linalg/_flapack.cpython-311-x86_64-linux-gnu.so",
        "matplotlib/ft2font.cp311-win_amd64.pyd",
        "PySide6/Qt/lib/libQt6Quick.so.6",
        "PySide6/Qt/lib/libQt6Qml.so.6",
        "PySide6/Qt/lib/libQt6Network.so.6",
        "PySide6/Qt/lib/libQt6Pdf.so.6",
        "PySide6/Qt6WebEngineCore.dll",
        "PySide6/Qt/lib/QtQuick.framework/Versions/A/QtQuick",
        "PySide6/QtNetwork.abi3.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/opengl32sw.dll",
        "PySide6/d3dcompiler_47.dll",
        "PySide6/plugins/platforms/qdirect2d.dll",
        "python3.11/lib-dynload/_tkinter.cpython-311-x86_64-linux-gnu.so",
        # Native Wayland: Wayland desktops run the app through XWayland (docs/bundle.md).
        "PySide6/Qt/lib/libQt6WaylandClient.so.6",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
        "PySide6/Qt/plugins/wayland-decoration-client/libbradient.so",
    ],
)
def test_file_rule_rejects(path: str) -> None:
    assert rules.file_is_forbidden(path), path
    assert not rules.keep_collected(path)


@pytest.mark.parametrize(
    "path",
    [
        "onnxruntime/capi/onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so",
        "onnxruntime/capi/onnxruntime_pybind11_state.pyd",
        "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
        "PIL/_imaging.cpython-311-darwin.so",
        "PySide6/Qt/lib/libQt6Core.so.6",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt6Widgets.dll",
        "PySide6/Qt/lib/QtWidgets.framework/Versions/A/QtWidgets",
        "PySide6/QtWidgets.abi3.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/styles/libqmacstyle.dylib",
        "edgeclass/resources/icons/edgeclass-256.png",
        "edgeclass/resources/models/default/model.onnx",
        "_pillow_heif.cpython-311-x86_64-linux-gnu.so",
        "pillow_heif.libs/libheif-e72ea93c.so.1.23.6",
        "PIL/_avif.cpython-311-x86_64-linux-gnu.so",
    ],
)
def test_file_rule_keeps(path: str) -> None:
    assert rules.file_is_forbidden(path) is None, path


def test_extension_module_names() -> None:
    name = rules.extension_module_name
    assert name("numpy/_core/_simd.cpython-311-x86_64-linux-gnu.so") == "numpy._core._simd"
    assert name("PySide6/QtCore.abi3.so") == "PySide6.QtCore"
    assert name("PIL/_imaging.cp311-win_amd64.pyd") == "PIL._imaging"
    assert name("python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so") == "_ssl"
    assert name("PySide6/Qt/lib/libQt6Core.so.6") is None
    assert name("numpy.libs/libscipy_openblas64_-32a4b2a6.so") is None


def _fake_bundle(root: Path, files: list[str]) -> Path:
    for rel in files:
        path = root / rules.CONTENTS_DIR / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0")
    return root


def test_check_fails_a_bundle_with_torch_qml_and_no_executables(tmp_path: Path) -> None:
    bundle = _fake_bundle(
        tmp_path / "edgeclass",
        [
            "torch/_C.cpython-311-x86_64-linux-gnu.so",
            "PySide6/Qt/lib/libQt6Quick.so.6",
            "PySide6/Qt/plugins/platforms/libqxcb.so",
            "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
        ],
    )
    report = check_bundle.check(bundle)
    text = "\n".join(report["problems"])
    assert not report["ok"]
    assert "forbidden module in bundle: torch._C" in text
    assert "libQt6Quick.so.6 (unused Qt library)" in text
    assert f"missing executable: {rules.executable_path(bundle, rules.CLI_NAME).name}" in text
    assert "required module missing from bundle: onnxruntime" in text
    assert "required Qt platform plugin missing: offscreen" in text
    assert "numpy._core._multiarray_umath" not in text  # present, so not reported missing


def test_size_on_disk_counts_every_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.bin").write_bytes(b"x" * 10_000)
    (tmp_path / "two.bin").write_bytes(b"y" * 5_000)
    allocated, apparent = rules.size_on_disk(tmp_path)
    assert apparent == 15_000
    assert allocated >= apparent - 8192  # block-rounded, never far below the bytes written


def test_a_broken_qt_binding_is_refused_with_the_way_out() -> None:
    broken = rules.broken_qt_binding({"PySide6-Essentials": "6.12.0", "shiboken6": "6.12.0"})
    assert broken is not None
    assert "PySide6-Essentials 6.12.0" in broken
    assert "none_dealloc" in broken
    assert 'pip install "PySide6-Essentials==6.11.3"' in broken
    assert rules.broken_qt_binding({"PySide6-Essentials": "6.11.3", "shiboken6": "6.11.3"}) is None
    assert rules.broken_qt_binding({}) is None


def test_build_bundle_stops_before_pyinstaller_on_a_broken_qt_binding(monkeypatch, capsys) -> None:
    build_bundle = importlib.import_module("build_bundle")

    def pyinstaller_must_not_run(*args, **kwargs):
        raise AssertionError("PyInstaller ran with a broken Qt binding")

    monkeypatch.setattr(build_bundle, "build", pyinstaller_must_not_run)
    monkeypatch.setattr(rules, "installed_qt_bindings", lambda: {"shiboken6": "6.12.0"})
    assert build_bundle.main(["--no-smoke", "--nice", "0"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is False
    assert summary["problems"][0].startswith("shiboken6 6.12.0 is installed")


@pytest.mark.parametrize("extra", ["desktop", "build"])
def test_the_extras_exclude_every_broken_qt_binding(extra: str) -> None:
    from packaging.requirements import Requirement

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (pyside,) = [
        Requirement(line)
        for line in project["optional-dependencies"][extra]
        if line.startswith("PySide6")
    ]
    for version in rules.BROKEN_QT_BINDINGS:
        assert not pyside.specifier.contains(version), f"{extra} allows PySide6 {version}"
    assert pyside.specifier.contains(rules.LAST_GOOD_QT_BINDING)
