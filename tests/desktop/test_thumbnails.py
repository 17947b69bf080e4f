"""Thumbnails and previews: made off the UI thread as QImage, EXIF-rotated, any image mode."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QImage

from edgeclass.desktop.sample_images import make_picture
from edgeclass.desktop.thumbnails import make_thumbnail


def test_exif_rotation_is_applied(qapp, tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated 90 degrees clockwise: portrait
    make_picture(1, (200, 100)).save(path, exif=exif)
    thumbnail = make_thumbnail(path)
    assert (thumbnail.width(), thumbnail.height()) == (48, 96)


@pytest.mark.parametrize(
    ("name", "image"),
    [
        ("rgba.png", Image.new("RGBA", (300, 200), (255, 0, 0, 128))),
        ("palette.gif", make_picture(2, (120, 90)).convert("P")),
        ("cmyk.jpg", make_picture(3, (160, 120)).convert("CMYK")),
        ("grey.png", make_picture(4, (64, 64)).convert("L")),
        (
            "deep.png",
            Image.fromarray(np.linspace(0, 65535, 64 * 48, dtype=np.uint16).reshape(48, 64)),
        ),
    ],
)
def test_any_image_mode_gives_a_thumbnail(qapp, tmp_path, name, image):
    path = tmp_path / name
    image.save(path)
    thumbnail = make_thumbnail(path)
    assert isinstance(thumbnail, QImage) and not thumbnail.isNull()
    assert max(thumbnail.width(), thumbnail.height()) <= 96


def test_unreadable_files_give_no_thumbnail(qapp, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not much of a jpeg")
    assert make_thumbnail(broken) is None
    assert make_thumbnail(tmp_path / "missing.png") is None
