"""App icons for the bundle (packaging/make_icons.py): real .ico/.icns files written by Pillow."""

from __future__ import annotations

import importlib
from pathlib import Path

from PIL import Image

make_icons = importlib.import_module("make_icons")


def test_icons_are_made_from_the_largest_png(tmp_path: Path) -> None:
    source = tmp_path / "icons"
    source.mkdir()
    Image.new("RGBA", (32, 32), (255, 0, 0, 255)).save(source / "small.png")
    Image.new("RGBA", (256, 256), (0, 128, 255, 255)).save(source / "big.png")
    ico, icns = make_icons.ensure_icons(source, tmp_path / "out")
    with Image.open(ico) as image:
        assert image.format == "ICO"
        assert (256, 256) in image.info["sizes"] and (16, 16) in image.info["sizes"]
        assert image.convert("RGB").getpixel((128, 128)) == (0, 128, 255)
    with Image.open(icns) as image:
        assert image.format == "ICNS"


def test_ready_made_icons_are_copied_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "icons"
    source.mkdir()
    Image.new("RGBA", (64, 64), (1, 2, 3, 255)).save(source / "edgeclass.ico", sizes=[(64, 64)])
    Image.new("RGBA", (512, 512), (4, 5, 6, 255)).save(source / "edgeclass.icns")
    ico, icns = make_icons.ensure_icons(source, tmp_path / "out")
    assert ico.read_bytes() == (source / "edgeclass.ico").read_bytes()
    assert icns.read_bytes() == (source / "edgeclass.icns").read_bytes()


def test_a_placeholder_when_there_is_no_icon_at_all(tmp_path: Path) -> None:
    ico, icns = make_icons.ensure_icons(tmp_path / "missing", tmp_path / "out")
    with Image.open(ico) as image:
        assert image.format == "ICO" and max(image.info["sizes"])[0] == 256
    assert icns.stat().st_size > 0
