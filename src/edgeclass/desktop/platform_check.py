"""Before Qt starts: a system library Qt's X11 platform needs and pip cannot install.

Qt 6.5 and later load libxcb-cursor.so.0 for their xcb (X11) platform. Without it Qt prints
"Could not load the Qt platform plugin "xcb" ... no Qt platform plugin could be initialized"
and aborts, which names no package. Checked only where Qt would really use xcb.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Mapping, Sequence

XCB_CURSOR = "libxcb-cursor.so.0"
INSTALL_XCB_CURSOR = (
    "edgeclass-desktop needs the system library libxcb-cursor0 to open its window on X11 "
    "(Qt 6.5 and later load it). Install it, then start edgeclass-desktop again:\n"
    "  Debian, Ubuntu:  sudo apt install libxcb-cursor0\n"
    "  Fedora:          sudo dnf install xcb-util-cursor\n"
    "  Arch:            sudo pacman -S xcb-util-cursor\n"
    "  openSUSE:        sudo zypper install libxcb-cursor0\n"
    "On a Wayland session, QT_QPA_PLATFORM=wayland edgeclass-desktop works without it."
)


def qt_platform(env: Mapping[str, str], qt_args: Sequence[str]) -> str:
    """The platform Qt will try first: `-platform NAME`, else $QT_QPA_PLATFORM, else what Qt
    picks on Linux (wayland in a Wayland session, xcb otherwise); "" when it will have none."""
    args = list(qt_args)
    for flag in ("-platform", "--platform"):
        if flag in args[:-1]:
            return args[args.index(flag) + 1].split(";")[0].split(":")[0]
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(";")[0].split(":")[0]
    if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb" if env.get("DISPLAY") else ""


def can_load(library: str) -> bool:
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def missing_system_library(
    env: Mapping[str, str], qt_args: Sequence[str] = (), library: str = XCB_CURSOR
) -> str:
    """What to install before Qt can open a window here, or "" when nothing is missing."""
    if not sys.platform.startswith("linux") or qt_platform(env, qt_args) != "xcb":
        return ""
    return "" if can_load(library) else INSTALL_XCB_CURSOR
