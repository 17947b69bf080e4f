"""The bundle's small ICU data library (packaging/linux/icu_data.py): built from PySide6's own,
loaded by the real Qt in place of the 31 MiB original, and QCollator still sorts naturally."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

icu_data = importlib.import_module("icu_data")


def _pyside_icu_data() -> Path:
    tools = shutil.which("gcc") and shutil.which("readelf")
    if not sys.platform.startswith("linux") or not tools:
        pytest.skip("the ICU data library is rebuilt on Linux only, with gcc and readelf")
    pyside6 = pytest.importorskip("PySide6")
    found = sorted((Path(pyside6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    if not found:
        pytest.skip("this PySide6 ships no ICU")
    return found[0]


def test_package_round_trip_keeps_only_the_chosen_entries() -> None:
    _symbol, package = icu_data.read_package(_pyside_icu_data())
    names = [name for name, _ in icu_data.entries(package)]
    assert len(names) > 1000 and names == sorted(names)
    small = icu_data.filtered_package(package, icu_data.keep_default)
    kept = dict(icu_data.entries(small))
    assert {name.split("/", 1)[1] for name in kept} == {
        "coll/root.res",
        "coll/ucadata.icu",
        "coll/res_index.res",
    }
    original = dict(icu_data.entries(package))
    for name, item in kept.items():  # items are copied byte for byte (plus 16-byte padding)
        assert item.rstrip(b"\0") == original[name].rstrip(b"\0")
    assert len(small) < len(package) / 20


def test_qt_collates_naturally_with_the_small_library(tmp_path: Path) -> None:
    source = _pyside_icu_data()
    target = tmp_path / "lib" / source.name
    icu_data.build_library(source, target)
    assert target.stat().st_size < 2 * 2**20
    script = (
        "from PySide6.QtCore import QCollator, QLocale\n"
        "c = QCollator(QLocale('de_DE')); c.setNumericMode(True)\n"
        "words = ['bild10.jpg', 'Bild9.jpg', 'apfel.jpg', 'Äpfel.jpg', 'zebra.jpg']\n"
        "print(sorted(words, key=c.sortKey))\n"
        "print([l.split()[-1] for l in open('/proc/self/maps') if 'libicudata' in l][0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "LD_LIBRARY_PATH": str(target.parent), "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    order, loaded = result.stdout.splitlines()
    assert loaded == str(target)  # the small library, not PySide6's
    assert order == str(["apfel.jpg", "Äpfel.jpg", "Bild9.jpg", "bild10.jpg", "zebra.jpg"])
    assert "collator" not in result.stderr.lower()
