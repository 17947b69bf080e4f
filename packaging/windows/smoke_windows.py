"""Smoke tests of the Windows bundle and installer, run the way a user would: under Wine on
Linux (a fresh prefix of its own), natively on a Windows CI runner.

- `edgeclass.exe --version`;
- `classify` of 100 photos (../shared/data/catsdogs/test, 50 per class; generated photos when
  that folder is absent) in a folder with a non-ASCII name, written with `-o FILE`: the labels of
  this machine's installed `edgeclass` (the reference) on the same files, scores within 1e-3
  (another build of the math libraries), and no temp file left beside the output;
- a path longer than Windows' classic 260-character MAX_PATH;
- exit codes equal to the reference's: all good (0), some files bad (1), bad option (2), missing
  model (3), no photos (4);
- `edgeclass-desktop.exe --self-test` (exit code 0);
- the installer: `/S` installs per user, the installed exe runs, its files, Start-menu shortcut
  and registry keys exist; the uninstaller (`/S`) removes every one of them;
- optionally (`--screenshot PNG`, Linux): the real window under Xvfb + Wine, captured.

    python packaging/windows/smoke_windows.py [--bundle DIR] [--setup EXE] [--screenshot PNG]

Prints a JSON summary; exit 1 when anything failed. The reference is `python -m edgeclass` of
the Python running this script (edgeclass installed: `make dev`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"))

import bundle_contents as contents
import make_screenshots as screenshots
import nsis_script
import smoke_test as linux_smoke
import standin_dll
import wine

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DIST = REPO / "dist" / "windows"
SHARED_PHOTOS = REPO.parent / "shared" / "data" / "catsdogs" / "test"
SCORE_TOLERANCE = 1e-3
NON_ASCII_FOLDER = "Fotos ü 日本 ñ"
CSV_QUIET = ("--format", "csv", "--quiet")


def pick_photos(source: Path, count: int) -> list[Path]:
    """`count` photos, the same share from each class folder, in a stable order."""
    classes = sorted(path for path in source.iterdir() if path.is_dir())
    per_class = max(1, count // max(1, len(classes)))
    picked: list[Path] = []
    for folder in classes:
        photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
        picked += photos[:per_class]
    return picked[:count]


def parse_rows(text: str) -> dict[str, dict[str, str]]:
    return {
        Path(row["path"].replace("\\", "/")).name: row for row in csv.DictReader(io.StringIO(text))
    }


def compare(frozen: dict[str, dict[str, str]], reference: dict[str, dict[str, str]]) -> list[str]:
    """Every difference between the frozen CLI's rows and the reference's."""
    problems = []
    if set(frozen) != set(reference):
        problems.append(f"files differ: {sorted(set(frozen) ^ set(reference))[:5]}")
    for name, want in reference.items():
        got = frozen.get(name)
        if got is None:
            continue
        if (got["status"], got["label"]) != (want["status"], want["label"]):
            problems.append(
                f"{name}: {got['status']}/{got['label']}, reference "
                f"{want['status']}/{want['label']}"
            )
        elif want["score"] and abs(float(got["score"]) - float(want["score"])) > SCORE_TOLERANCE:
            problems.append(f"{name}: score {got['score']}, reference {want['score']}")
    return problems


class Smoke:
    def __init__(self, prefix: wine.Prefix, work: Path) -> None:
        self.prefix = prefix
        self.work = work
        self.summary: dict = {}
        self.problems: list[str] = []

    def run(
        self, argv: list[str], timeout: float = 600, **env: str
    ) -> subprocess.CompletedProcess[str]:
        environment = {
            key: value
            for key, value in self.prefix.env(**env).items()
            if not key.startswith(("PYTHON", "EDGECLASS_")) and key != "VIRTUAL_ENV"
        }
        return self.prefix.run(argv, cwd=self.work, timeout=timeout, env=environment)

    def reference(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        """The installed edgeclass (this Python) on the same arguments, natively."""
        return subprocess.run(
            [sys.executable, "-m", "edgeclass", *args],
            cwd=self.work,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,
            stdin=subprocess.DEVNULL,
            # UTF-8 through the pipe on Windows too (the folder names are not all cp1252).
            env={**os.environ, "PYTHONUTF8": "1"},
        )

    def check(self, name: str, ok: bool, detail: object) -> None:
        self.summary[name] = detail
        if not ok:
            self.problems.append(f"{name}: {detail}")


def check_cli(smoke: Smoke, cli: Path, photos: list[Path]) -> None:
    import edgeclass

    win = smoke.prefix.arg
    result = smoke.run([win(cli), "--version"])
    smoke.check(
        "version",
        result.returncode == 0 and result.stdout.strip() == f"edgeclass {edgeclass.__version__}",
        {"rc": result.returncode, "stdout": result.stdout.strip()},
    )

    folder = smoke.work / NON_ASCII_FOLDER
    folder.mkdir()
    for photo in photos:
        shutil.copy2(photo, folder / photo.name)
    out = smoke.work / "results ü.csv"
    started = time.perf_counter()
    result = smoke.run([win(cli), "classify", win(folder), "--format", "csv", "-o", win(out)])
    seconds = time.perf_counter() - started
    reference = smoke.reference(["classify", str(folder), "--format", "csv", "--quiet"])
    written = out.read_text(encoding="utf-8") if out.is_file() else ""
    differences = compare(parse_rows(written), parse_rows(reference.stdout))
    leftovers = sorted(
        p.name for p in smoke.work.iterdir() if p.name.startswith(".") or ".tmp" in p.name
    )
    smoke.check(
        "classify photos (-o, non-ASCII folder)",
        result.returncode == 0
        and not differences
        and len(parse_rows(written)) == len(photos)
        and not leftovers,
        {
            "photos": len(photos),
            "rows": len(parse_rows(written)),
            "rc": result.returncode,
            "seconds": round(seconds, 1),
            "labels": linux_smoke._count(row["label"] for row in parse_rows(written).values()),
            "max_score_difference": max_score_difference(written, reference.stdout),
            "differences": differences[:10],
            "temp_files_left": leftovers,
            "stderr": result.stderr[-300:] if result.returncode else "",
        },
    )

    check_phone_formats(smoke, cli)

    deep = smoke.work
    while len(win(deep)) < 280:
        deep = deep / ("a long folder name " + str(len(win(deep))))
    deep.mkdir(parents=True)
    for photo in photos[:2]:
        shutil.copy2(photo, deep / photo.name)
    result = smoke.run([win(cli), "classify", win(deep), "--format", "csv", "--quiet"])
    rows = parse_rows(result.stdout)
    smoke.check(
        "classify a path over 260 characters",
        result.returncode == 0 and [r["status"] for r in rows.values()] == ["ok", "ok"],
        {
            "path_length": len(win(deep / photos[0].name)),
            "rc": result.returncode,
            "statuses": [r["status"] for r in rows.values()],
            "stderr": result.stderr[-300:],
        },
    )

    bad = smoke.work / "bad"
    bad.mkdir()
    shutil.copy2(photos[0], bad / photos[0].name)
    (bad / "empty.png").write_bytes(b"")
    (bad / "notes.jpg").write_text("not a photo\n")
    empty = smoke.work / "no photos"
    empty.mkdir()
    cases = {
        "all good": ["classify", str(folder)],
        "some files bad": ["classify", str(bad)],
        "bad option": ["classify", str(folder), "--no-such-option"],
        "missing model": ["classify", str(folder), "--model", str(smoke.work / "no model")],
        "no photos": ["classify", str(empty)],
    }
    codes = {}
    for case, args in cases.items():
        frozen_args = [win(a) if a.startswith(str(smoke.work)) else a for a in args]
        got = smoke.run([win(cli), *frozen_args, "--quiet"]).returncode
        want = smoke.reference([*args, "--quiet"]).returncode
        codes[case] = {"frozen": got, "reference": want}
    smoke.check(
        "exit codes",
        all(c["frozen"] == c["reference"] for c in codes.values())
        and [c["reference"] for c in codes.values()] == [0, 1, 2, 3, 4],
        codes,
    )


def check_phone_formats(smoke: Smoke, cli: Path) -> None:
    """HEIC (pillow-heif with the x265 stand-in) and AVIF (Pillow's plugin) decode frozen as
    installed: the same labels and scores as the reference."""
    try:
        import pillow_heif
        from PIL import Image
    except ImportError:
        smoke.summary["HEIC and AVIF"] = "skipped: writing HEIC needs pillow-heif here"
        return
    folder = smoke.work / "phone"
    folder.mkdir()
    gradient = Image.linear_gradient("L").resize((320, 240))
    picture = Image.merge("RGB", (gradient, gradient.rotate(90), gradient.transpose(0)))
    pillow_heif.from_pillow(picture).save(folder / "iphone.heic", quality=80)
    picture.save(folder / "android.avif", quality=80)
    result = smoke.run([smoke.prefix.arg(cli), "classify", smoke.prefix.arg(folder), *CSV_QUIET])
    reference = smoke.reference(["classify", str(folder), *CSV_QUIET])
    rows = parse_rows(result.stdout)
    differences = compare(rows, parse_rows(reference.stdout))
    smoke.check(
        "HEIC and AVIF",
        result.returncode == 0 and not differences and len(rows) == 2,
        {
            "rc": result.returncode,
            "statuses": {name: row["status"] for name, row in rows.items()},
            "differences": differences,
            "stderr": result.stderr[-300:] if result.returncode else "",
        },
    )


def max_score_difference(frozen_csv: str, reference_csv: str) -> float | None:
    frozen, reference = parse_rows(frozen_csv), parse_rows(reference_csv)
    diffs = [
        abs(float(frozen[name]["score"]) - float(row["score"]))
        for name, row in reference.items()
        if name in frozen and row["score"] and frozen[name]["score"]
    ]
    return float(f"{max(diffs):.2e}") if diffs else None


def check_desktop(smoke: Smoke, desktop: Path) -> None:
    started = time.perf_counter()
    result = smoke.run([smoke.prefix.arg(desktop), "--self-test"], timeout=300)
    smoke.check(
        "desktop self-test",
        result.returncode == 0,
        {
            "rc": result.returncode,
            "seconds": round(time.perf_counter() - started, 1),
            "report": linux_smoke._json_object(result.stdout),
            "stderr": result.stderr[-500:],
        },
    )


def registry_has(smoke: Smoke, key: str, value: str | None = None) -> bool:
    argv = ["reg", "query", key] + (["/v", value] if value is not None else [])
    return smoke.run(argv, timeout=120).returncode == 0


def wait_until_gone(smoke: Smoke, path: Path, timeout: float = 120) -> bool:
    """The NSIS uninstaller copies itself to %TEMP% and runs from there: wait for it."""
    smoke.prefix.wait(timeout)
    deadline = time.monotonic() + timeout
    while path.exists() and time.monotonic() < deadline:
        time.sleep(1)
    return not path.exists()


def check_installer(smoke: Smoke, setup: Path, photo: Path) -> None:
    local_appdata = smoke.prefix.known_folder("LOCALAPPDATA")
    appdata = smoke.prefix.known_folder("APPDATA")
    install_dir = smoke.prefix.local_path(f"{local_appdata}\\Programs\\{nsis_script.APP}")
    shortcut = smoke.prefix.local_path(
        f"{appdata}\\Microsoft\\Windows\\Start Menu\\Programs\\{nsis_script.APP}.lnk"
    )
    keys = [f"HKCU\\{key}" for key in nsis_script.registry_keys()]
    jpg_progids = "HKCU\\Software\\Classes\\.jpg\\OpenWithProgids"

    started = time.perf_counter()
    result = smoke.run([smoke.prefix.arg(setup), "/S"], timeout=600)
    smoke.prefix.wait(300)
    installed_exe = install_dir / f"{contents.CLI_NAME}.exe"
    present = {key: registry_has(smoke, key) for key in keys}
    association = registry_has(smoke, jpg_progids, nsis_script.PROG_ID)
    run_installed = smoke.run(
        [
            smoke.prefix.arg(installed_exe),
            "classify",
            smoke.prefix.arg(photo),
            "--format",
            "csv",
            "--quiet",
        ]
    )
    rows = parse_rows(run_installed.stdout)
    smoke.check(
        "installer /S",
        result.returncode == 0
        and installed_exe.is_file()
        and shortcut.is_file()
        and all(present.values())
        and association
        and [r["status"] for r in rows.values()] == ["ok"],
        {
            "rc": result.returncode,
            "seconds": round(time.perf_counter() - started, 1),
            "install_dir": str(install_dir.relative_to(smoke.prefix.path))
            if smoke.prefix.path
            else str(install_dir),
            "shortcut": shortcut.is_file(),
            "registry_keys": present,
            "open_with_jpg": association,
            "installed_exe_rc": run_installed.returncode,
        },
    )

    uninstaller = install_dir / nsis_script.UNINSTALLER
    result = smoke.run([smoke.prefix.arg(uninstaller), "/S"], timeout=300)
    gone = wait_until_gone(smoke, install_dir)
    left = {key: registry_has(smoke, key) for key in keys}
    association_left = registry_has(smoke, jpg_progids, nsis_script.PROG_ID)
    smoke.check(
        "uninstaller /S",
        result.returncode == 0
        and gone
        and not shortcut.exists()
        and not any(left.values())
        and not association_left,
        {
            "rc": result.returncode,
            "install_dir_removed": gone,
            "files_left": sorted(str(p.relative_to(install_dir)) for p in install_dir.rglob("*"))[
                :10
            ]
            if install_dir.exists()
            else [],
            "shortcut_left": shortcut.exists(),
            "registry_keys_left": left,
            "open_with_jpg_left": association_left,
        },
    )


def top_level_titles(xwininfo_tree: str) -> list[tuple[str, str]]:
    """(window id, title) of every titled window in `xwininfo -root -tree` output."""
    found = []
    for line in xwininfo_tree.splitlines():
        match = re.match(r'\s*(0x[0-9a-f]+) "([^"]*)"', line)
        if match and match.group(2):
            found.append((match.group(1), match.group(2)))
    return found


def screenshot(smoke: Smoke, desktop: Path, photos: Path, png: Path, settle_s: float) -> None:
    """The real window under Xvfb + Wine, classifying `photos`, captured to `png`."""
    display = ":87"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    app = None
    try:
        time.sleep(2)
        env = smoke.prefix.env(DISPLAY=display, QT_QPA_PLATFORM="windows")
        app = subprocess.Popen(
            smoke.prefix.command([smoke.prefix.arg(desktop), smoke.prefix.arg(photos)]),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=smoke.work,
        )
        time.sleep(settle_s)
        tree = subprocess.run(
            ["xwininfo", "-display", display, "-root", "-tree"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        titles = top_level_titles(tree)
        # The main window's title is "<model> - edgeclass"; PyInstaller's error box would be
        # "Unhandled exception in script".
        main = [(wid, title) for wid, title in titles if title.endswith("edgeclass")]
        png.parent.mkdir(parents=True, exist_ok=True)
        target = main[0][0] if main else "root"
        shot = subprocess.run(
            ["import", "-display", display, "-window", target, str(png)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if shot.returncode == 0:
            screenshots._shrink_png(png)  # the palette PNG the other screenshots use
        smoke.check(
            "window under Xvfb",
            shot.returncode == 0 and png.is_file() and bool(main) and app.poll() is None,
            {
                "screenshot": str(png.relative_to(REPO)) if png.is_relative_to(REPO) else str(png),
                "windows": [title for _wid, title in titles][:5],
                "app_running": app.poll() is None,
            },
        )
    finally:
        if app is not None and app.poll() is None:
            app.terminate()
        smoke.prefix.stop()
        xvfb.terminate()
        xvfb.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=str(DIST / contents.BUNDLE_NAME))
    parser.add_argument(
        "--setup",
        default=str(DIST / nsis_script.SETUP_NAME),
        help="the installer to check (skipped when the file is absent)",
    )
    parser.add_argument("--photos", default=str(SHARED_PHOTOS), help="folder of class folders")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--screenshot", help="Linux: save a screenshot of the real window here")
    parser.add_argument(
        "--settle", type=float, default=45.0, help="seconds the window gets before the screenshot"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and prefix")
    args = parser.parse_args(argv)

    bundle = Path(args.bundle)
    cli = contents.executable_path(bundle, contents.CLI_NAME)
    desktop = contents.executable_path(bundle, contents.DESKTOP_NAME)
    if not cli.is_file():
        print(json.dumps({"ok": False, "problems": [f"no {cli}"]}, indent=2))
        return 1
    work = Path(tempfile.mkdtemp(prefix="edgeclass-winsmoke-"))
    # Wine only for a Windows bundle on another OS; a macOS or Windows bundle runs natively.
    prefix = wine.Prefix(work / "wineprefix" if contents.is_windows_bundle(bundle) else None)
    started = time.perf_counter()
    smoke = Smoke(prefix, work)
    try:
        if prefix.path is not None:
            qt_core = bundle / contents.CONTENTS_DIR / "PySide6" / "Qt6Core.dll"
            icu = work / "standins" / standin_dll.ICU_DLL
            standin_dll.build_standin(standin_dll.ICU_DLL, [qt_core], icu, standin_dll.ICU_BODIES)
            prefix.ensure(standins=[icu])
        source = Path(args.photos)
        if source.is_dir():
            photos = pick_photos(source, args.count)
            smoke.summary["photos_from"] = "shared data"
        else:
            photos = [
                p
                for p in linux_smoke.write_test_images(work / "generated", 12)
                if p.name not in linux_smoke.BAD_FILES
            ]
            smoke.summary["photos_from"] = "generated (no shared data)"
        check_cli(smoke, cli, photos)
        check_desktop(smoke, desktop)
        setup = Path(args.setup)
        if setup.is_file():
            check_installer(smoke, setup, photos[0])
        else:
            smoke.summary["installer"] = f"skipped: no {setup}"
        if args.screenshot:
            # Drawn cats and dogs (docs/screenshots/make_screenshots.py), never the real photos:
            # a screenshot is published.
            pictures = work / "Bilder ü"
            screenshots.write_picture_folder(pictures)
            screenshot(smoke, desktop, pictures, Path(args.screenshot).resolve(), args.settle)
    finally:
        prefix.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    smoke.summary["seconds"] = round(time.perf_counter() - started, 1)
    smoke.summary["problems"] = smoke.problems
    smoke.summary["ok"] = not smoke.problems
    print(json.dumps(smoke.summary, indent=2, ensure_ascii=False))
    return 0 if smoke.summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
