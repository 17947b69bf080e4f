"""packaging/linux/library_twins.py on small libraries built here with gcc: a system library and
a wheel's copy of it become one file only when the copy defines what the users import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from built_libraries import build_library, linux_packaging_module, needs_gcc

library_twins = linux_packaging_module("library_twins")
pytestmark = needs_gcc


def _toc(tmp_path: Path, vendored_source: str) -> list[tuple[str, str, str]]:
    system = build_library(
        tmp_path / "system" / "libsqz.so.1",
        "int sqz_pack(int x) { return x + 1; }\nint sqz_unpack(int x) { return x - 1; }\n",
        "-Wl,-soname,libsqz.so.1",
    )
    vendored = build_library(
        tmp_path / "pkg.libs" / "libsqz-0123abcd.so.1.5.7",
        vendored_source,
        "-Wl,-soname,libsqz-0123abcd.so.1.5.7",
    )
    user = build_library(
        tmp_path / "user" / "libuser.so",
        "int sqz_unpack(int);\nint use(void) { return sqz_unpack(2); }\n",
        f"-L{tmp_path / 'system'}",
        "-l:libsqz.so.1",
    )
    return [
        ("libsqz.so.1", str(system), "BINARY"),
        ("pkg.libs/libsqz-0123abcd.so.1.5.7", str(vendored), "BINARY"),
        ("pkg/libuser.so", str(user), "BINARY"),
    ]


def test_system_name_becomes_a_link_to_the_wheel_copy(tmp_path: Path) -> None:
    vendored = "int sqz_unpack(int x) { return x - 1; }\nint sqz_new(void) { return 0; }\n"
    toc = _toc(tmp_path, vendored)
    merged, replaced = library_twins.merged(toc)
    assert replaced == ["libsqz.so.1"]
    assert ("libsqz.so.1", "pkg.libs/libsqz-0123abcd.so.1.5.7", "SYMLINK") in merged
    # The user still loads through the link, and gets the wheel copy's code.
    bundle = tmp_path / "bundle"
    (bundle / "pkg.libs").mkdir(parents=True)
    shutil.copyfile(toc[1][1], bundle / "pkg.libs" / "libsqz-0123abcd.so.1.5.7")
    os.symlink("pkg.libs/libsqz-0123abcd.so.1.5.7", bundle / "libsqz.so.1")
    probe = "import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).use())"
    result = subprocess.run(
        [sys.executable, "-c", probe, toc[2][1]],
        capture_output=True,
        text=True,
        env={"LD_LIBRARY_PATH": str(bundle), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.stdout.strip() == "1", result.stderr


def test_a_wheel_copy_missing_an_imported_symbol_is_not_used(tmp_path: Path) -> None:
    toc = _toc(tmp_path, "int sqz_pack(int x) { return x + 1; }\n")
    merged, replaced = library_twins.merged(toc)
    assert replaced == [] and merged == toc


def test_twin_names() -> None:
    toc = [("numpy.libs/libzstd-40ad5e7e.so.1.5.7", "/x", "BINARY")]
    assert library_twins.twin_of("libzstd.so.1", toc) == toc[0]
    assert library_twins.twin_of("libzstd.so.2", toc) is None
    assert library_twins.twin_of("libzst.so.1", toc) is None
