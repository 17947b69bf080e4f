"""Without libxcb-cursor0 Qt's X11 platform aborts with a plugin error naming no package:
edgeclass-desktop says what to install instead, before Qt starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edgeclass.desktop.platform_check import (
    INSTALL_XCB_CURSOR,
    XCB_CURSOR,
    can_load,
    missing_system_library,
    qt_platform,
)

MISSING = "libedgeclass-test-not-installed.so.0"  # loaded for real, and never there
X11 = {"DISPLAY": ":0"}


def test_the_platform_qt_will_use():
    assert qt_platform(X11, []) == "xcb"
    assert qt_platform({**X11, "QT_QPA_PLATFORM": "offscreen"}, []) == "offscreen"
    assert qt_platform({**X11, "QT_QPA_PLATFORM": "wayland;xcb"}, []) == "wayland"
    assert qt_platform({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, []) == (
        "wayland"
    )
    assert qt_platform({"QT_QPA_PLATFORM": "offscreen"}, ["-platform", "xcb"]) == "xcb"
    assert qt_platform({}, []) == ""  # no display at all: Qt says so itself


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 libraries: Linux only")
def test_a_missing_library_is_named_with_the_package_to_install():
    assert not can_load(MISSING)
    message = missing_system_library(X11, [], library=MISSING)
    assert message == INSTALL_XCB_CURSOR
    assert "sudo apt install libxcb-cursor0" in message and "xcb-util-cursor" in message
    # Nothing to say where Qt will not use xcb.
    assert missing_system_library({**X11, "QT_QPA_PLATFORM": "offscreen"}, [], MISSING) == ""
    assert missing_system_library(X11, ["-platform", "wayland"], MISSING) == ""


@pytest.mark.skipif(not can_load(XCB_CURSOR), reason="libxcb-cursor0 is not installed here")
def test_an_installed_library_passes():
    assert missing_system_library(X11) == ""


def test_the_docs_say_what_to_install():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "desktop.md").read_text()
    assert "libxcb-cursor0" in docs.split("## Starting it")[1].split("##")[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 libraries: Linux only")
def test_the_app_stops_with_the_message_before_qt_loads(tmp_path):
    """The real entry point, in a process where libxcb-cursor.so.0 cannot be found: the
    library path points at a folder holding an empty file by that name, which fails to load."""
    (tmp_path / XCB_CURSOR).write_bytes(b"")
    env = {
        **os.environ,
        "DISPLAY": ":99",
        "QT_QPA_PLATFORM": "xcb",
        "HOME": str(tmp_path),
        "LD_LIBRARY_PATH": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "edgeclass.desktop"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert INSTALL_XCB_CURSOR in done.stderr
    assert "qt.qpa.plugin" not in done.stderr  # Qt never started
