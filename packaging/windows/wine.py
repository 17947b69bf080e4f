"""Run Windows programs from Linux through Wine, or natively on Windows, with one interface.

A `Prefix` is a Wine prefix of its own (never ~/.wine): headless (`WINEDEBUG=-all`, no Mono or
Gecko install prompts), 64-bit. On Windows the same calls run the programs directly, so the
smoke test is one script for Wine and for a Windows CI runner.

Wine facts this relies on (measured on Debian 12's Wine 8.0):
- a Windows program's stdout redirected to a *file* fails ("can't initialize sys standard
  streams"); a pipe works, so every run captures through pipes;
- Unix paths are reachable as drive Z: (`/work/x` is `Z:\\work\\x`).

Stdlib only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path, PureWindowsPath

NATIVE = sys.platform == "win32"


def windows_path(path: Path | str) -> str:
    """The Windows spelling of a Unix path under Wine: `/work/x` is `Z:\\work\\x`."""
    return "Z:" + str(Path(path).resolve()).replace("/", "\\")


def unix_path(path: str, prefix_dir: Path) -> Path:
    """A Windows path inside a Wine prefix (`C:\\users\\...`) or on Z: as a Unix path."""
    win = PureWindowsPath(path)
    drive = win.drive.upper()
    rest = Path(*win.parts[1:]) if len(win.parts) > 1 else Path()
    if drive == "Z:":
        return Path("/") / rest
    if drive == "C:":
        return _case_insensitive(prefix_dir / "drive_c", rest)
    raise ValueError(f"{path}: only drives C: and Z: are mapped")


def _case_insensitive(base: Path, rest: Path) -> Path:
    current = base
    for part in rest.parts:
        exact = current / part
        if not exact.exists() and current.is_dir():
            matches = [child for child in current.iterdir() if child.name.lower() == part.lower()]
            exact = matches[0] if matches else exact
        current = exact
    return current


class Prefix:
    """A Wine prefix (Linux) or the machine itself (Windows)."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path).resolve() if path and not NATIVE else None

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        if self.path is not None:
            env.update(
                WINEPREFIX=str(self.path),
                WINEARCH="win64",
                WINEDEBUG=env.get("EDGECLASS_WINEDEBUG", "-all"),
                # No "install Mono/Gecko?" dialogs: nothing here uses .NET or the HTML engine.
                WINEDLLOVERRIDES="mscoree,mshtml=",
            )
        env.update(extra)
        return env

    def arg(self, path: Path | str) -> str:
        """A path as the programs run here spell it (`Z:\\...` under Wine)."""
        return str(path) if self.path is None else windows_path(path)

    def command(self, argv: list[str]) -> list[str]:
        return argv if self.path is None else ["wine", *argv]

    def ensure(self, standins: list[Path] = ()) -> None:
        """Create the prefix once (wineboot) and put the stand-in DLLs into its system32."""
        if self.path is None:
            return
        if not (self.path / "system.reg").is_file():
            self.path.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["wineboot", "--init"],
                env=self.env(DISPLAY=""),
                capture_output=True,
                timeout=600,
                check=True,
            )
            self.wait()
        system32 = self.path / "drive_c" / "windows" / "system32"
        for dll in standins:
            shutil.copy2(dll, system32 / dll.name)

    def run(
        self,
        argv: list[str],
        *,
        cwd: Path | None = None,
        timeout: float = 600,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a Windows program, its output captured through pipes (see the module doc)."""
        return subprocess.run(
            self.command(argv),
            cwd=cwd,
            env=env if env is not None else self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
        )

    def wait(self, timeout: float = 120) -> None:
        """Wait until every program in the prefix has ended (`wineserver -w`)."""
        if self.path is not None:
            subprocess.run(["wineserver", "-w"], env=self.env(), timeout=timeout, check=False)

    def stop(self) -> None:
        """End the prefix's wineserver (and any program still running in it)."""
        if self.path is not None:
            subprocess.run(["wineserver", "-k"], env=self.env(), timeout=60, check=False)
            time.sleep(0.5)

    def known_folder(self, variable: str) -> str:
        """A Windows environment folder as the programs see it (LOCALAPPDATA, APPDATA...)."""
        result = self.run(["cmd", "/c", "echo", f"%{variable}%"], timeout=120)
        return result.stdout.strip()

    def local_path(self, windows: str) -> Path:
        """Where a Windows path of this prefix lies on this machine."""
        return Path(windows) if self.path is None else unix_path(windows, self.path)
