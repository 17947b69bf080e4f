"""packaging/linux/elf_layout.py on the real libraries it exists for: Pillow's libXau (2 MiB of
patchelf padding) and numpy's OpenBLAS (which `strip` leaves unloadable). Each result must
still load with the system's dynamic loader and answer a call."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from built_libraries import linux_packaging_module

elf_layout = linux_packaging_module("elf_layout")

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="ELF libraries: Linux only"
)


def _wheel_library(package: str, libs_folder: str, prefix: str) -> Path:
    module = pytest.importorskip(package)
    folder = Path(module.__file__).resolve().parent.parent / libs_folder
    found = sorted(folder.glob(prefix + "*")) if folder.is_dir() else []
    if not found:
        pytest.skip(f"no {prefix}* in {folder} (not a manylinux wheel)")
    return found[0]


def test_libxau_loses_its_padding_and_still_loads(tmp_path: Path) -> None:
    original = _wheel_library("PIL", "pillow.libs", "libXau-")
    copy = tmp_path / original.name
    shutil.copyfile(original, copy)
    if elf_layout.padding_gap(copy.read_bytes()) is None:
        pytest.skip(f"{original.name} has no padding in this Pillow release")
    assert elf_layout.tidy(copy)
    assert copy.stat().st_size < 64 * 1024 < original.stat().st_size
    assert elf_layout.padding_gap(copy.read_bytes()) is None
    assert elf_layout.tidy(copy) is False  # nothing left to do
    library = ctypes.CDLL(str(copy))
    library.XauFileName.restype = ctypes.c_char_p
    assert library.XauFileName()  # $XAUTHORITY or ~/.Xauthority: the code runs


def test_stripped_openblas_loads_once_its_empty_segments_are_realigned(tmp_path: Path) -> None:
    if shutil.which("strip") is None:
        pytest.skip("needs binutils' strip")
    original = _wheel_library("numpy", "numpy.libs", "libscipy_openblas")
    libs = tmp_path / "numpy.libs"
    shutil.copytree(original.parent, libs)
    copy = libs / original.name
    subprocess.run(["strip", str(copy)], check=True, capture_output=True, timeout=120)
    if elf_layout.realign_empty_segments(copy.read_bytes()) is None:
        pytest.skip("strip left this OpenBLAS loadable: nothing to repair")
    probe = (
        "import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); "
        "f = lib.scipy_openblas_get_config64_; f.restype = ctypes.c_char_p; print(f().decode())"
    )
    env = {"LD_LIBRARY_PATH": str(libs), "PATH": "/usr/bin:/bin"}
    broken = subprocess.run(
        [sys.executable, "-c", probe, str(copy)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert broken.returncode != 0 and "aligned" in broken.stderr
    assert elf_layout.tidy(copy)
    assert copy.stat().st_size < original.stat().st_size - 2**20
    fixed = subprocess.run(
        [sys.executable, "-c", probe, str(copy)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.startswith("OpenBLAS")


def test_other_files_are_left_alone() -> None:
    assert elf_layout.realign_empty_segments(b"not an ELF file") is None
    assert elf_layout.compacted(b"\x7fELF\x01\x01" + bytes(58)) is None  # 32-bit: not handled
