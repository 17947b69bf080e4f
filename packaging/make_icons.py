"""Application icons for the bundle: .ico (Windows) and .icns (macOS) made with Pillow.

Source: the desktop app's icons in src/edgeclass/resources/icons/. A ready-made
edgeclass.ico / edgeclass.icns there is used as it is; otherwise the largest PNG is converted;
with no PNG at all a plain placeholder is drawn, so a build never fails for want of an icon.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def _placeholder(size: int = 512):
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = size // 16
    draw.rounded_rectangle(
        (margin, margin, size - margin, size - margin), radius=size // 5, fill=(32, 96, 160, 255)
    )
    # A lens-like ring: "classify what you see".
    ring = size // 4
    centre = size // 2
    draw.ellipse(
        (centre - ring, centre - ring, centre + ring, centre + ring),
        outline=(255, 255, 255, 255),
        width=size // 14,
    )
    return image


def _largest_png(icons_dir: Path):
    from PIL import Image

    best = None
    for path in sorted(icons_dir.glob("*.png")):
        with Image.open(path) as image:
            if best is None or image.width * image.height > best.width * best.height:
                image.load()
                best = image.copy()
    return best


def ensure_icons(icons_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """Write edgeclass.ico and edgeclass.icns into out_dir and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ico, icns = out_dir / "edgeclass.ico", out_dir / "edgeclass.icns"
    ready_ico, ready_icns = icons_dir / "edgeclass.ico", icons_dir / "edgeclass.icns"
    source = None
    if not (ready_ico.exists() and ready_icns.exists()):
        source = (_largest_png(icons_dir) if icons_dir.is_dir() else None) or _placeholder()
        source = source.convert("RGBA")
        if source.width != source.height:
            side = max(source.width, source.height)
            from PIL import Image

            square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
            square.paste(source, ((side - source.width) // 2, (side - source.height) // 2))
            source = square
    if ready_ico.exists():
        shutil.copyfile(ready_ico, ico)
    else:
        source.save(ico, format="ICO", sizes=[s for s in ICO_SIZES if s[0] <= source.width])
    if ready_icns.exists():
        shutil.copyfile(ready_icns, icns)
    else:
        source.resize((512, 512)).save(icns, format="ICNS")
    return ico, icns
