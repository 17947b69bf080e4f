"""The Windows bundle built on Linux (`make bundle-windows` -> dist/windows/): what is inside, read
from Linux, and the frozen CLI run under Wine on a HEIC photo. Skipped when there is no
dist/windows/edgeclass (the build takes minutes and needs Wine; `make check-windows` runs it,
and packaging/windows/smoke_windows.py checks the CLI, the desktop and the installer at length).
"""

from __future__ import annotations

import csv
import importlib
import io
import shutil
import struct
import sys
from pathlib import Path, PureWindowsPath

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging" / "windows"))
rules = importlib.import_module("bundle_contents")
check_bundle = importlib.import_module("check_bundle")
nsis_script = importlib.import_module("nsis_script")
standin_dll = importlib.import_module("standin_dll")
wine = importlib.import_module("wine")

WINDOWS_DIST = REPO / "dist" / "windows"
BUNDLE = WINDOWS_DIST / rules.BUNDLE_NAME
SUBSYSTEM_GUI, SUBSYSTEM_CONSOLE = 2, 3
CSV_QUIET = ("--format", "csv", "--quiet")

pytestmark = pytest.mark.skipif(
    not (BUNDLE / f"{rules.CLI_NAME}.exe").is_file(),
    reason="no Windows bundle at dist/windows/edgeclass: run `make bundle-windows` first",
)


def pe_subsystem(exe: Path) -> int:
    """The PE optional header's Subsystem field: 2 = windowed, 3 = console."""
    data = exe.read_bytes()[:4096]
    pe_offset = struct.unpack_from("<I", data, 0x3C)[0]
    assert data[pe_offset : pe_offset + 4] == b"PE\0\0"
    optional_header = pe_offset + 24
    return int(struct.unpack_from("<H", data, optional_header + 68)[0])


def version_string(exe: Path, key: str) -> str | None:
    """A StringFileInfo value of the version resource (UTF-16 key, padding, UTF-16 value)."""
    data = exe.read_bytes()
    at = data.rfind(key.encode("utf-16-le") + b"\0\0")
    if at < 0:
        return None
    start = at + len(key) * 2 + 2
    start += (4 - start % 4) % 4  # values are 32-bit aligned
    end = data.find(b"\0\0", start)
    end += (end - start) % 2
    return data[start:end].decode("utf-16-le")


def test_the_contents_check_passes() -> None:
    report = check_bundle.check(BUNDLE)
    assert report["problems"] == []
    assert report["bundled_default_model"]


def test_the_bundle_fits_the_linux_budget() -> None:
    model = BUNDLE / rules.CONTENTS_DIR / "edgeclass" / "resources" / "models"
    app_bytes = rules.size_on_disk(BUNDLE)[0] - rules.size_on_disk(model)[0]
    assert app_bytes <= rules.SIZE_TARGET_MIB * 2**20


def test_console_cli_and_windowed_desktop_app() -> None:
    assert pe_subsystem(BUNDLE / "edgeclass.exe") == SUBSYSTEM_CONSOLE
    assert pe_subsystem(BUNDLE / "edgeclass-desktop.exe") == SUBSYSTEM_GUI


@pytest.mark.parametrize("name", [rules.CLI_NAME, rules.DESKTOP_NAME])
def test_each_executable_has_its_own_version_resource(name: str) -> None:
    import edgeclass

    exe = BUNDLE / f"{name}.exe"
    assert version_string(exe, "OriginalFilename") == f"{name}.exe"
    assert version_string(exe, "ProductVersion") == edgeclass.__version__
    assert version_string(exe, "ProductName") == "edgeclass"


def test_the_msvc_runtime_travels_and_no_icu_standin_does() -> None:
    names = {p.name.lower() for p in BUNDLE.rglob("*.dll")}
    assert {"vcruntime140.dll", "msvcp140.dll", "vcruntime140_1.dll"} <= names
    assert "icuuc.dll" not in names  # Windows' own ICU serves Qt; the stand-in is Wine-only


def test_heic_decoder_ships_without_the_x265_encoder() -> None:
    internal = BUNDLE / rules.CONTENTS_DIR
    assert list(internal.glob("libheif*.dll")) and list(internal.glob("libde265*.dll"))
    x265 = list(internal.glob("libx265*.dll"))
    assert x265, "libheif links libx265: its stand-in must be there"
    assert all(dll.stat().st_size <= rules.X265_STUB_MAX_BYTES for dll in x265)


def test_qt_platforms_windows_and_offscreen_are_collected() -> None:
    platforms = BUNDLE / rules.CONTENTS_DIR / "PySide6" / "plugins" / "platforms"
    assert {"qwindows.dll", "qoffscreen.dll"} <= {p.name for p in platforms.iterdir()}


def test_the_installer_is_a_64_bit_nsis_installer() -> None:
    setup = WINDOWS_DIST / nsis_script.SETUP_NAME
    if not setup.is_file():
        pytest.skip("no dist/windows/edgeclass-setup.exe (build_windows.py makes it last)")
    data = setup.read_bytes()
    pe_offset = struct.unpack_from("<I", data, 0x3C)[0]
    assert struct.unpack_from("<H", data, pe_offset + 4)[0] == 0x8664  # x86-64
    assert b"Nullsoft" in data


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("wine") is None or shutil.which(standin_dll.MINGW_GCC) is None,
    reason="needs Wine and MinGW-w64 (packaging/windows/install_build_deps.sh)",
)
def test_frozen_cli_reads_heic_and_avif_under_wine(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif", reason="writing a HEIC file needs pillow-heif")
    from PIL import Image

    photos = tmp_path / "Fotos ü"
    photos.mkdir()
    picture = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    pillow_heif.from_pillow(picture).save(photos / "iphone.heic", quality=80)
    picture.save(photos / "android.avif", quality=80)
    prefix = wine.Prefix(tmp_path / "prefix")
    prefix.ensure()
    try:
        result = prefix.run(
            [str(BUNDLE / "edgeclass.exe"), "classify", wine.windows_path(photos), *CSV_QUIET],
            timeout=300,
        )
    finally:
        prefix.stop()
    assert result.returncode == 0, result.stderr[-2000:]
    rows = csv.DictReader(io.StringIO(result.stdout))
    statuses = {PureWindowsPath(row["path"]).name: row["status"] for row in rows}
    assert statuses == {"android.avif": "ok", "iphone.heic": "ok"}, result.stdout
