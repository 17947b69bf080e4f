"""Phone formats (HEIC, AVIF), formats known but not readable here, and the one extension list."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PIL import Image, features

from edgeclass.image_formats import IMAGE_EXTENSIONS, file_dialog_filter
from edgeclass.runtime import Classifier, Status, find_images, load_image
from edgeclass.runtime.formats import sniff_container_format

needs_heif = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("pillow_heif"),
    reason="pillow-heif is not installed (the heif extra)",
)
needs_avif = pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF")


def _write_heic(path, size=(640, 480)) -> None:
    from edgeclass_test_images import photo_like
    from pillow_heif import from_pillow

    from_pillow(Image.fromarray(photo_like(*size, seed=5))).save(path, quality=90)


@needs_heif
def test_heic_written_here_is_classified(tmp_path, tiny_model_dir):
    path = tmp_path / "IMG_0001.HEIC"
    _write_heic(path)
    assert path.read_bytes()[4:12] == b"ftypheic"
    assert load_image(path).size == (640, 480)
    [result] = Classifier(tiny_model_dir, threads=1).classify_paths([path])
    assert result.status is Status.OK, result.message
    assert (result.width, result.height) == (640, 480)
    assert result.message == ""  # .heic holds HEIF: no extension note


@needs_avif
def test_avif_written_here_is_classified_and_found_by_the_scan(tmp_path, tiny_model_dir):
    from edgeclass_test_images import photo_like

    path = tmp_path / "photo.avif"
    Image.fromarray(photo_like(320, 240, seed=6)).save(path, quality=80)
    assert find_images([tmp_path]) == [path]
    [result] = Classifier(tiny_model_dir, threads=1).classify_paths([path])
    assert result.status is Status.OK, result.message
    assert (result.width, result.height) == (320, 240)


# A fresh interpreter in which an optional decoder cannot be imported, as on a machine without it.
WITHOUT = """
import json, sys
sys.modules[sys.argv[1]] = None  # makes `import` of it fail
from edgeclass.runtime import Classifier
[result] = Classifier(sys.argv[2], threads=1).classify_paths([sys.argv[3]])
print(json.dumps({"status": result.status.value, "message": result.message}))
"""


def _classify_without(module: str, path, model_dir) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT, module, str(model_dir), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@needs_heif
def test_heic_without_the_plugin_says_how_to_enable_it(tmp_path, tiny_model_dir):
    path = tmp_path / "IMG_0002.heic"
    _write_heic(path, size=(64, 48))
    report = _classify_without("pillow_heif", path, tiny_model_dir)
    assert report["status"] == "unsupported_format"
    assert "HEIC" in report["message"] and 'pip install "edgeclass[heif]"' in report["message"]


@needs_avif
def test_avif_without_pillows_avif_support_is_unsupported_format(tmp_path, tiny_model_dir):
    from edgeclass_test_images import photo_like

    path = tmp_path / "photo.avif"
    Image.fromarray(photo_like(64, 48)).save(path)
    report = _classify_without("PIL._avif", path, tiny_model_dir)
    assert report["status"] == "unsupported_format"
    assert report["message"].startswith("AVIF image")


def test_container_sniffing():
    assert sniff_container_format(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") == "HEIF"
    assert sniff_container_format(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1") == "AVIF"
    # A `mif1` file whose compatible brands say AVIF.
    assert sniff_container_format(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00avif") == "AVIF"
    assert sniff_container_format(b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00mp41") is None
    assert sniff_container_format(b"\x89PNG\r\n\x1a\n") is None


def test_one_extension_list_everywhere():
    from edgeclass.trainer import data as trainer_data

    assert {".heic", ".heif", ".avif", ".jpg", ".png"} <= IMAGE_EXTENSIONS
    assert trainer_data.IMAGE_EXTENSIONS is IMAGE_EXTENSIONS
    help_text = subprocess.run(
        [sys.executable, "-m", "edgeclass", "classify", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    flat = " ".join(help_text.split())
    for suffix in IMAGE_EXTENSIONS:
        assert suffix in flat
    assert all(f"*{suffix}" in file_dialog_filter() for suffix in IMAGE_EXTENSIONS)


def test_folder_scan_picks_up_phone_formats(tmp_path):
    for name in ("a.HEIC", "b.heif", "c.avif", "d.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in find_images([tmp_path])] == ["a.HEIC", "b.heif", "c.avif", "d.jpg"]
