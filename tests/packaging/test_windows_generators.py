"""The Windows build's generators, on any OS: the version resource, the NSIS installer script
(from image_formats and the bundle's files), the stand-in DLLs, Wine's path mapping and the
Windows smoke test's comparison. makensis and MinGW-w64 compile real outputs where installed."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edgeclass.image_formats import IMAGE_EXTENSIONS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging" / "windows"))

version_resource = importlib.import_module("version_resource")
nsis_script = importlib.import_module("nsis_script")
standin_dll = importlib.import_module("standin_dll")
wine = importlib.import_module("wine")
smoke_windows = importlib.import_module("smoke_windows")

VERSION_CLASSES = (
    "VSVersionInfo",
    "FixedFileInfo",
    "StringFileInfo",
    "StringTable",
    "StringStruct",
    "VarFileInfo",
    "VarStruct",
)


def _read_version_file(text: str) -> dict:
    """Evaluate a version file the way PyInstaller does, with recording constructors."""

    def recorder(name: str):
        def build(*args, **kwargs):
            return {"type": name, "args": args, **kwargs}

        return build

    namespace = {name: recorder(name) for name in VERSION_CLASSES}
    return eval(text, namespace)  # our own generated text, as PyInstaller reads it


@pytest.mark.parametrize(
    ("version", "numbers"),
    [("0.1.0", (0, 1, 0, 0)), ("1.2.3rc1", (1, 2, 3, 1)), ("7", (7, 0, 0, 0))],
)
def test_version_numbers_are_four_windows_fields(version: str, numbers: tuple) -> None:
    assert version_resource.version_numbers(version) == numbers


def test_a_version_field_over_65535_is_refused() -> None:
    with pytest.raises(ValueError, match="65535"):
        version_resource.version_numbers("2026.70000.1")


def test_version_file_names_each_executable_and_the_version() -> None:
    text = version_resource.version_file_text("1.4.2", "edgeclass-desktop.exe", "the app")
    info = _read_version_file(text)
    assert info["ffi"]["filevers"] == (1, 4, 2, 0)
    assert info["ffi"]["prodvers"] == (1, 4, 2, 0)
    string_file_info, var_file_info = info["kids"]
    table = string_file_info["args"][0][0]
    assert table["args"][0] == "040904B0"  # US English, Unicode: what the strings are
    strings = {s["args"][0]: s["args"][1] for s in table["args"][1]}
    assert strings["OriginalFilename"] == "edgeclass-desktop.exe"
    assert strings["InternalName"] == "edgeclass-desktop"
    assert strings["FileVersion"] == strings["ProductVersion"] == "1.4.2"
    assert strings["FileDescription"] == "the app"
    assert var_file_info["args"][0][0]["args"] == ("Translation", [0x0409, 1200])


def _fake_bundle(root: Path) -> Path:
    bundle = root / "edgeclass"
    for rel in (
        "edgeclass.exe",
        "edgeclass-desktop.exe",
        "_internal/python311.dll",
        "_internal/PySide6/plugins/platforms/qwindows.dll",
        "_internal/edgeclass/resources/models/default/model.onnx",
        "_internal/Fotos ü/readme.txt",
    ):
        path = bundle / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"MZ" + rel.encode())
    return bundle


def _section(text: str, name: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(f"Section {name}")
    end = lines.index("SectionEnd", start)
    return [line.strip() for line in lines[start + 1 : end]]


def test_nsis_script_offers_open_with_for_every_image_type_and_removes_it(tmp_path: Path) -> None:
    text = nsis_script.script(
        version="0.1.0",
        bundle_dir=_fake_bundle(tmp_path),
        out_file=tmp_path / "setup.exe",
        icon=tmp_path / "edgeclass.ico",
    )
    install, uninstall = _section(text, '"edgeclass"'), _section(text, "Uninstall")
    assert sorted(IMAGE_EXTENSIONS) == nsis_script.image_suffixes()
    for suffix in IMAGE_EXTENSIONS:
        progids = f"Software\\Classes\\{suffix}\\OpenWithProgids"
        assert f'WriteRegStr HKCU "{progids}" "edgeclass.image" ""' in install
        assert f'DeleteRegValue HKCU "{progids}" "edgeclass.image"' in uninstall
        supported = f"{nsis_script.APPLICATION_KEY}\\SupportedTypes"
        assert f'WriteRegStr HKCU "{supported}" "{suffix}" ""' in install
    # Never the default program of a type: no write to a type's own default value.
    assert not [line for line in install if "\\Classes\\." in line and '" "" "' in line]
    for key in nsis_script.registry_keys():
        assert any(line.startswith(f'WriteRegStr HKCU "{key}') for line in install), key
        assert f'DeleteRegKey HKCU "{key}"' in uninstall


def test_nsis_script_is_per_user_and_silent_capable(tmp_path: Path) -> None:
    text = nsis_script.script(
        version="0.1.0",
        bundle_dir=_fake_bundle(tmp_path),
        out_file=tmp_path / "setup.exe",
        icon=tmp_path / "edgeclass.ico",
    )
    assert "RequestExecutionLevel user" in text.splitlines()
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\edgeclass"' in text
    assert "HKLM" not in text  # nothing machine-wide: no administrator rights needed
    assert '$\\"$INSTDIR\\uninstall.exe$\\" /S' in text  # QuietUninstallString
    assert 'CreateShortcut "$SMPROGRAMS\\edgeclass.lnk"' in text


def test_uninstaller_deletes_exactly_the_installed_files_deepest_folder_first(
    tmp_path: Path,
) -> None:
    bundle = _fake_bundle(tmp_path)
    text = nsis_script.script(
        version="0.1.0", bundle_dir=bundle, out_file=tmp_path / "s.exe", icon=tmp_path / "i.ico"
    )
    uninstall = _section(text, "Uninstall")
    deleted = {line.split('"')[1] for line in uninstall if line.startswith('Delete "$INSTDIR')}
    installed = {
        "$INSTDIR\\" + str(p.relative_to(bundle)).replace("/", "\\")
        for p in bundle.rglob("*")
        if p.is_file()
    }
    assert deleted == installed | {"$INSTDIR\\uninstall.exe"}
    assert not any("RMDir /r" in line for line in uninstall)  # a user's own files stay
    removed = [line.split('"')[1] for line in uninstall if line.startswith("RMDir")]
    assert removed[-1] == "$INSTDIR"
    depths = [path.count("\\") for path in removed]
    assert depths == sorted(depths, reverse=True)
    assert "$INSTDIR\\_internal\\PySide6\\plugins\\platforms" in removed


@pytest.mark.skipif(shutil.which("makensis") is None, reason="needs makensis (Debian: nsis)")
def test_makensis_compiles_the_generated_script(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "edgeclass-setup.exe"
    script = tmp_path / "edgeclass.nsi"
    script.write_text(
        nsis_script.script(
            version="0.1.0",
            bundle_dir=_fake_bundle(tmp_path),
            out_file=out,
            icon=repo / "src" / "edgeclass" / "resources" / "icons" / "edgeclass.ico",
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        ["makensis", "-V2", "-INPUTCHARSET", "UTF8", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = out.read_bytes()
    assert data[:2] == b"MZ"
    assert "edgeclass.exe".encode("utf-16-le") not in data[:4096]  # content is compressed
    assert "0.1.0".encode("utf-16-le") in data  # the installer's own version resource


def test_icu_standin_source_answers_no_converter() -> None:
    source = standin_dll.standin_source(
        "icuuc.dll", ["ucnv_close", "ucnv_open"], standin_dll.ICU_BODIES
    )
    assert "*status = 4; return 0;" in source  # U_FILE_ACCESS_ERROR, NULL converter
    assert "__declspec(dllexport) void *ucnv_close(void) { return 0; }" in source
    with pytest.raises(ValueError, match="unexpected name"):
        standin_dll.standin_source("x.dll", ["evil(); system"])


@pytest.mark.skipif(
    shutil.which(standin_dll.MINGW_GCC) is None,
    reason="needs MinGW-w64 (Debian: gcc-mingw-w64-x86-64-win32)",
)
def test_standin_dll_exports_what_its_user_imports(tmp_path: Path) -> None:
    # A real user: a DLL that imports two functions from "libfake-1.dll".
    fake = tmp_path / "real" / "libfake-1.dll"
    fake.parent.mkdir()
    (tmp_path / "fake.c").write_text(
        "__declspec(dllexport) int fake_a(void){return 1;}\n"
        "__declspec(dllexport) int fake_b(void){return 2;}\n"
        "__declspec(dllexport) int fake_unused(void){return 3;}\n"
    )
    gcc = [standin_dll.MINGW_GCC, "-shared", "-O2"]
    subprocess.run([*gcc, "-o", str(fake), str(tmp_path / "fake.c")], check=True, timeout=120)
    (tmp_path / "user.c").write_text(
        "int fake_a(void); int fake_b(void);\n"
        "__declspec(dllexport) int user(void){return fake_a() + fake_b();}\n"
    )
    user = tmp_path / "user.dll"
    subprocess.run(
        [*gcc, "-o", str(user), str(tmp_path / "user.c"), str(fake)], check=True, timeout=120
    )
    out = tmp_path / "standin" / "libfake-1.dll"
    assert standin_dll.build_standin("libfake-1.dll", [user], out) == ["fake_a", "fake_b"]
    import pefile

    with pefile.PE(str(out)) as pe:
        exports = {symbol.name.decode() for symbol in pe.DIRECTORY_ENTRY_EXPORT.symbols}
    assert exports == {"fake_a", "fake_b"}
    assert standin_dll.imported_functions(user, "LIBFAKE-1.DLL") == ["fake_a", "fake_b"]


def test_wine_maps_unix_paths_to_drive_z_and_back(tmp_path: Path) -> None:
    assert wine.windows_path("/work/x y/ü.jpg") == "Z:\\work\\x y\\ü.jpg"
    assert wine.unix_path("Z:\\work\\x y\\ü.jpg", tmp_path) == Path("/work/x y/ü.jpg")
    users = tmp_path / "drive_c" / "users" / "root" / "AppData"
    users.mkdir(parents=True)
    assert wine.unix_path("C:\\users\\root\\appdata\\x", tmp_path) == users / "x"
    with pytest.raises(ValueError, match="only drives"):
        wine.unix_path("D:\\x", tmp_path)


def _rows(*rows: tuple[str, str, str, str]) -> dict[str, dict[str, str]]:
    header = "path,status,label,score,message\n"
    text = header + "".join(",".join(row) + ",\n" for row in rows)
    return smoke_windows.parse_rows(text)


def test_smoke_comparison_allows_1e3_and_catches_label_and_score_changes() -> None:
    reference = _rows(("a\\cat.1.jpg", "ok", "cat", "0.9000"), ("b/dog.2.jpg", "ok", "dog", "0.8"))
    assert (
        smoke_windows.compare(
            _rows(("Z:\\x\\cat.1.jpg", "ok", "cat", "0.9009"), ("dog.2.jpg", "ok", "dog", "0.8")),
            reference,
        )
        == []
    )
    problems = smoke_windows.compare(
        _rows(("cat.1.jpg", "ok", "dog", "0.9"), ("dog.2.jpg", "ok", "dog", "0.802")), reference
    )
    assert any("cat.1.jpg: ok/dog, reference ok/cat" in p for p in problems)
    assert any("dog.2.jpg: score 0.802" in p for p in problems)
    assert smoke_windows.compare(_rows(("cat.1.jpg", "ok", "cat", "0.9")), reference)


def test_pick_photos_takes_the_same_share_of_each_class(tmp_path: Path) -> None:
    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for index in range(5):
            (tmp_path / label / f"{label}.{index}.jpg").write_bytes(b"x")
    (tmp_path / "cat" / "notes.txt").write_text("no photo")
    picked = smoke_windows.pick_photos(tmp_path, 6)
    assert [p.name for p in picked] == [
        "cat.0.jpg",
        "cat.1.jpg",
        "cat.2.jpg",
        "dog.0.jpg",
        "dog.1.jpg",
        "dog.2.jpg",
    ]
