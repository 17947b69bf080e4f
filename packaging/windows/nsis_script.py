"""The NSIS script of edgeclass-setup.exe, generated from the built bundle and image_formats.

What the installer does (per user, no administrator rights: `RequestExecutionLevel user`):
- copies the bundle to %LOCALAPPDATA%\\Programs\\edgeclass (the per-user Programs folder);
- a Start-menu shortcut to edgeclass-desktop.exe;
- "Open with > edgeclass" for every image type of edgeclass.image_formats (the same list the
  Linux .desktop file's MimeType comes from): a ProgID `edgeclass.image` named in each type's
  OpenWithProgids, and the app registered under Applications\\edgeclass-desktop.exe with its
  SupportedTypes. It never takes over a type's default program;
- an entry in Settings > Apps (HKCU ...\\Uninstall\\edgeclass) with a quiet uninstall string.

The uninstaller removes exactly the files the installer wrote (listed here from the bundle, so a
photo a user saved into the folder stays), the shortcut, every registry key and value above and
the app's own settings (HKCU\\Software\\edgeclass, where QSettings keeps them). `/S` makes both
silent.

    python packaging/windows/nsis_script.py BUNDLE_DIR OUT.exe   # write the .nsi, run makensis

Stdlib only: the unit tests generate scripts without NSIS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import version_resource

REPO = Path(__file__).resolve().parent.parent.parent
ICON = REPO / "src" / "edgeclass" / "resources" / "icons" / "edgeclass.ico"
APP = "edgeclass"
SETUP_NAME = "edgeclass-setup.exe"
UNINSTALLER = "uninstall.exe"
DESKTOP_EXE = "edgeclass-desktop.exe"
PROG_ID = "edgeclass.image"
SHORTCUT = f"$SMPROGRAMS\\{APP}.lnk"
INSTALL_DIR = f"$LOCALAPPDATA\\Programs\\{APP}"
UNINSTALL_KEY = f"Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{APP}"
APP_KEY = f"Software\\{APP}"  # InstallDir, and QSettings' organisation key
APPLICATION_KEY = f"Software\\Classes\\Applications\\{DESKTOP_EXE}"
PROG_ID_KEY = f"Software\\Classes\\{PROG_ID}"
# Explorer caches associations; SHCNE_ASSOCCHANGED tells it they changed.
NOTIFY_ASSOCIATIONS = "System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'"


def image_suffixes() -> list[str]:
    """The file endings edgeclass opens, from the one list in edgeclass.image_formats."""
    from edgeclass.image_formats import IMAGE_EXTENSIONS

    return sorted(IMAGE_EXTENSIONS)


def bundle_listing(bundle_dir: Path) -> tuple[list[str], list[str]]:
    """(files, folders) of the bundle, relative, with backslashes; folders deepest first."""
    files, folders = [], []
    for dirpath, dirnames, filenames in os.walk(bundle_dir):
        rel = Path(dirpath).relative_to(bundle_dir)
        for name in dirnames:
            folders.append(str(rel / name))
        for name in filenames:
            files.append(str(rel / name))

    def windows(path: str) -> str:
        return path.replace("/", "\\").removeprefix(".\\")

    files = sorted(windows(path) for path in files)
    folders = sorted((windows(path) for path in folders), key=lambda p: (-p.count("\\"), p))
    return files, folders


def _quote(text: str) -> str:
    """An NSIS string literal: $\\" for quotes, $$ for a literal dollar is left to the caller."""
    return '"' + text.replace('"', '$\\"') + '"'


def association_lines(suffixes: list[str]) -> list[str]:
    open_command = f'"$INSTDIR\\{DESKTOP_EXE}" "%1"'
    lines = [
        f'WriteRegStr HKCU "{PROG_ID_KEY}" "" "Image (edgeclass)"',
        f'WriteRegStr HKCU "{PROG_ID_KEY}" "FriendlyTypeName" "Image"',
        f'WriteRegStr HKCU "{PROG_ID_KEY}\\DefaultIcon" "" "$INSTDIR\\{DESKTOP_EXE},0"',
        f'WriteRegStr HKCU "{PROG_ID_KEY}\\shell\\open" "FriendlyAppName" "{APP}"',
        f'WriteRegStr HKCU "{PROG_ID_KEY}\\shell\\open\\command" "" {_quote(open_command)}',
        f'WriteRegStr HKCU "{APPLICATION_KEY}" "FriendlyAppName" "{APP}"',
        f'WriteRegStr HKCU "{APPLICATION_KEY}\\shell\\open\\command" "" {_quote(open_command)}',
    ]
    for suffix in suffixes:
        lines.append(f'WriteRegStr HKCU "{APPLICATION_KEY}\\SupportedTypes" "{suffix}" ""')
        lines.append(
            f'WriteRegStr HKCU "Software\\Classes\\{suffix}\\OpenWithProgids" "{PROG_ID}" ""'
        )
    return lines


def unassociation_lines(suffixes: list[str]) -> list[str]:
    lines = [
        f'DeleteRegKey HKCU "{PROG_ID_KEY}"',
        f'DeleteRegKey HKCU "{APPLICATION_KEY}"',
    ]
    for suffix in suffixes:
        key = f"Software\\Classes\\{suffix}"
        lines += [
            f'DeleteRegValue HKCU "{key}\\OpenWithProgids" "{PROG_ID}"',
            # Only when nothing else lives there: other programs' associations stay.
            f'DeleteRegKey /ifempty HKCU "{key}\\OpenWithProgids"',
            f'DeleteRegKey /ifempty HKCU "{key}"',
        ]
    return lines


def script(
    *,
    version: str,
    bundle_dir: Path,
    out_file: Path,
    icon: Path,
    license_file: Path | None = None,
    suffixes: list[str] | None = None,
) -> str:
    """The whole .nsi text for `makensis` (paths of this machine are build inputs only)."""
    suffixes = image_suffixes() if suffixes is None else suffixes
    files, folders = bundle_listing(bundle_dir)
    numbers = ".".join(str(n) for n in version_resource.version_numbers(version))
    size_kib = sum((bundle_dir / f.replace("\\", "/")).stat().st_size for f in files) // 1024
    lines = [
        "; Generated by packaging/windows/nsis_script.py: edit that, not this.",
        # A 64-bit installer for a 64-bit app (and Wine without 32-bit support runs it).
        "Target amd64-unicode",
        "ManifestDPIAware true",
        "RequestExecutionLevel user",
        "SetCompressor /SOLID lzma",
        f'Name "{APP}"',
        f'Caption "{APP} {version} Setup"',
        f"OutFile {_quote(str(out_file))}",
        f'InstallDir "{INSTALL_DIR}"',
        f'InstallDirRegKey HKCU "{APP_KEY}" "InstallDir"',
        f"Icon {_quote(str(icon))}",
        f"UninstallIcon {_quote(str(icon))}",
        f'VIProductVersion "{numbers}"',
        f'VIFileVersion "{numbers}"',
        f'VIAddVersionKey "ProductName" "{APP}"',
        f'VIAddVersionKey "ProductVersion" "{version}"',
        f'VIAddVersionKey "FileVersion" "{version}"',
        f'VIAddVersionKey "FileDescription" "{APP} {version} installer"',
        f'VIAddVersionKey "CompanyName" "{version_resource.COMPANY}"',
        f'VIAddVersionKey "LegalCopyright" "{version_resource.COPYRIGHT}"',
        "",
    ]
    if license_file is not None:
        lines.append(f"Page license\nLicenseData {_quote(str(license_file))}")
    lines += [
        "Page directory",
        "Page instfiles",
        "UninstPage uninstConfirm",
        "UninstPage instfiles",
        "",
        'Section "edgeclass"',
        "  SetShellVarContext current",
        "  SetOutPath $INSTDIR",
        f"  File /r {_quote(str(bundle_dir) + os.sep + '*')}",
        f'  WriteUninstaller "$INSTDIR\\{UNINSTALLER}"',
        f'  CreateShortcut "{SHORTCUT}" "$INSTDIR\\{DESKTOP_EXE}" "" "$INSTDIR\\{DESKTOP_EXE}" 0',
        f'  WriteRegStr HKCU "{APP_KEY}" "InstallDir" "$INSTDIR"',
        f'  WriteRegStr HKCU "{UNINSTALL_KEY}" "DisplayName" "{APP}"',
        f'  WriteRegStr HKCU "{UNINSTALL_KEY}" "DisplayVersion" "{version}"',
        f'  WriteRegStr HKCU "{UNINSTALL_KEY}" "Publisher" "{version_resource.COMPANY}"',
        f'  WriteRegStr HKCU "{UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\\{DESKTOP_EXE},0"',
        f'  WriteRegStr HKCU "{UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"',
        f'  WriteRegStr HKCU "{UNINSTALL_KEY}" "UninstallString" "$\\"$INSTDIR\\{UNINSTALLER}$\\""',
        f'  WriteRegStr HKCU "{UNINSTALL_KEY}" "QuietUninstallString" '
        f'"$\\"$INSTDIR\\{UNINSTALLER}$\\" /S"',
        f'  WriteRegDWORD HKCU "{UNINSTALL_KEY}" "NoModify" 1',
        f'  WriteRegDWORD HKCU "{UNINSTALL_KEY}" "NoRepair" 1',
        f'  WriteRegDWORD HKCU "{UNINSTALL_KEY}" "EstimatedSize" {size_kib}',
        *(f"  {line}" for line in association_lines(suffixes)),
        f"  {NOTIFY_ASSOCIATIONS}",
        "SectionEnd",
        "",
        "Section Uninstall",
        "  SetShellVarContext current",
        *(f'  Delete "$INSTDIR\\{path}"' for path in files),
        f'  Delete "$INSTDIR\\{UNINSTALLER}"',
        *(f'  RMDir "$INSTDIR\\{path}"' for path in folders),
        '  RMDir "$INSTDIR"',
        f'  Delete "{SHORTCUT}"',
        *(f"  {line}" for line in unassociation_lines(suffixes)),
        f'  DeleteRegKey HKCU "{UNINSTALL_KEY}"',
        f'  DeleteRegKey HKCU "{APP_KEY}"',
        f"  {NOTIFY_ASSOCIATIONS}",
        "SectionEnd",
        "",
    ]
    return "\n".join(lines)


def registry_keys() -> list[str]:
    """The HKCU keys the installer creates for itself (the uninstaller removes them whole)."""
    return [UNINSTALL_KEY, APP_KEY, APPLICATION_KEY, PROG_ID_KEY]


def makensis_command() -> str:
    """makensis on PATH, or where the Windows NSIS installer puts it."""
    found = shutil.which("makensis")
    if found is None and sys.platform == "win32":
        default = Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"))
        candidate = default / "NSIS" / "makensis.exe"
        found = str(candidate) if candidate.is_file() else None
    if found is None:
        raise FileNotFoundError("makensis not found (Debian: apt-get install nsis)")
    return found


def build_installer(bundle_dir: Path, out_file: Path, version: str) -> tuple[int, str]:
    """Write the script beside `out_file` and compile the installer; (exit code, log tail)."""
    out_file = out_file.resolve()
    nsi = out_file.with_suffix(".nsi")
    nsi.write_text(
        script(version=version, bundle_dir=bundle_dir.resolve(), out_file=out_file, icon=ICON),
        encoding="utf-8",
    )
    result = subprocess.run(
        [makensis_command(), "-V2", "-INPUTCHARSET", "UTF8", str(nsi)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    nsi.unlink()
    return result.returncode, (result.stdout + result.stderr)[-2000:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build edgeclass-setup.exe from a bundle.")
    parser.add_argument("bundle", help="the onedir bundle (edgeclass.exe, _internal/...)")
    parser.add_argument("out", help="the installer to write, e.g. dist/edgeclass-setup.exe")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    import edgeclass

    code, log = build_installer(Path(args.bundle), Path(args.out), edgeclass.__version__)
    print(log, file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
