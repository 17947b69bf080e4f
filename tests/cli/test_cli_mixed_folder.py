"""One `classify` run over a folder holding every hard case of real-world photos at once.

The run must finish (exit 1: some files failed), give every file and the unreadable folder a row
with the right status, and stay under 1 GB of memory although it meets a 108 MP phone JPEG, thin
and 11,000,000-pixel-wide PNGs and a header claiming 900 megapixels.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from edgeclass_test_images import grey_16bit, photo_like, png_bomb, png_claiming, truncated
from PIL import Image, features
from unprivileged import as_unprivileged, open_tmp_dir

from edgeclass.cli import exit_codes

pytestmark = pytest.mark.slow

ONE_GB_IN_KB = 1024 * 1024
# Linux keeps a process's peak RSS across exec, so a child forked from pytest reports pytest's
# own peak when that is larger; the CLI runs under this small wrapper instead, whose
# RUSAGE_CHILDREN is the CLI's peak alone.
PEAK_RSS_WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[2:], timeout=600).returncode
with open(sys.argv[1], "w") as peak:
    peak.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def _photo(path: Path, size=(160, 120), seed=0) -> Path:
    Image.fromarray(photo_like(*size, seed=seed)).save(path, quality=90)
    return path


def _mixed_folder(folder: Path) -> dict[bytes, str | None]:
    """Writes the cases; returns each file's name (bytes) -> the status it must get (None: any)."""
    expected: dict[bytes, str | None] = {}
    expected[b"good.jpg"] = "ok"
    _photo(folder / "good.jpg")
    Image.effect_noise((12_000, 9_000), 40).save(folder / "phone_108mp.jpg", quality=80)
    expected[b"phone_108mp.jpg"] = "ok"
    png_bomb(folder, 20_000, 1)
    expected[b"bomb_20000x1.png"] = "ok"
    png_bomb(folder, 11_000_000, 1)
    expected[b"bomb_11000000x1.png"] = None  # ok or too_large, never a crash
    png_claiming(folder, 30_000, 30_000)
    expected[b"claims_30000x30000.png"] = "too_large"
    _photo(Path(os.fsdecode(bytes(folder) + b"/caf\xe9.jpg")))
    expected[b"caf\xe9.jpg"] = "ok"
    expected[os.fsencode(grey_16bit(folder).name)] = "ok"
    (folder / "empty.jpg").write_bytes(b"")
    expected[b"empty.jpg"] = "empty_file"
    (folder / "notes.jpg").write_text("not a photo\n")
    expected[b"notes.jpg"] = "not_an_image"
    truncated(_photo(folder / "whole.jpg", size=(640, 480)), folder / "truncated.jpg", keep=0.3)
    (folder / "whole.jpg").unlink()
    expected[b"truncated.jpg"] = None  # Pillow may still show the top of a cut-off JPEG
    if features.check("avif"):
        Image.fromarray(photo_like(320, 240, seed=3)).save(folder / "photo.avif")
        expected[b"photo.avif"] = "ok"
    try:
        from pillow_heif import from_pillow
    except ImportError:
        pass
    else:
        from_pillow(Image.fromarray(photo_like(320, 240, seed=4))).save(folder / "photo.heic")
        expected[b"photo.heic"] = "ok"
    locked = folder / "locked"
    locked.mkdir()
    _photo(locked / "inside.jpg")
    expected[b"locked"] = "permission_error"
    return expected


def _exact_name(row: dict) -> bytes:
    if row.get("path_base64"):
        return base64.b64decode(row["path_base64"])
    return row["path"].encode()


def test_a_mixed_folder_of_every_hard_case_gives_a_row_each_in_bounded_memory(tiny_model_dir):
    with open_tmp_dir() as root:
        folder = root / "photos"
        folder.mkdir()
        folder.chmod(0o755)
        expected = _mixed_folder(folder)
        for path in folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        (folder / "locked").chmod(0)
        output = root / "results.jsonl"
        root.chmod(0o777)  # the unprivileged run writes its results here
        arguments = ["-r", "-q", "--model", tiny_model_dir, "-f", "jsonl", "-o", output, folder]
        command = as_unprivileged(
            [sys.executable, "-m", "edgeclass", "classify", *map(str, arguments)]
        )
        env = {k: v for k, v in os.environ.items() if k != "EDGECLASS_MODEL"}
        peak_file = root / "peak_rss_kb"
        process = subprocess.run(
            [sys.executable, "-c", PEAK_RSS_WRAPPER, str(peak_file), *command],
            env=env,
            stderr=subprocess.PIPE,
            timeout=660,  # past the wrapper's own 600 s, so its child is never left behind
        )
        stderr = process.stderr.decode(errors="replace")
        peak_kb = int(peak_file.read_text())

        assert process.returncode == exit_codes.SOME_FILES_FAILED, stderr
        rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
        got = {os.path.basename(_exact_name(row)): row for row in rows}
        assert sorted(got) == sorted(expected), stderr
        assert len(rows) == len(expected)
        for name, status_wanted in expected.items():
            row = got[name]
            if status_wanted is not None:
                assert row["status"] == status_wanted, (name, row)
            assert row["status"] == "ok" or row["message"], (name, row)
        assert peak_kb < ONE_GB_IN_KB, f"peak RSS {peak_kb / 1024:.0f} MiB"
