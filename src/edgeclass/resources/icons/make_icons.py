"""Regenerate the edgeclass app icon (PNG sizes, .ico, .icns) with Pillow only.

    python src/edgeclass/resources/icons/make_icons.py

The icon: a photo (mountains and sun) on a blue-to-teal rounded square, with a small label tag
in the corner: "a photo, and what it is".
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
MASTER = 1024


def _gradient(size: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    column = Image.new("RGB", (1, size))
    for y in range(size):
        t = y / (size - 1)
        column.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    return column.resize((size, size))


def draw_icon(size: int = MASTER) -> Image.Image:
    s = size / 1024
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    mask = Image.new("L", (size, size), 0)
    margin = round(64 * s)
    ImageDraw.Draw(mask).rounded_rectangle(
        (margin, margin, size - margin, size - margin), radius=round(200 * s), fill=255
    )
    icon.paste(_gradient(size, (52, 98, 214), (22, 170, 160)), (0, 0), mask)

    draw = ImageDraw.Draw(icon)
    # The photo: a white card with mountains and a sun.
    left, top, right, bottom = (round(v * s) for v in (210, 250, 814, 700))
    draw.rounded_rectangle((left, top, right, bottom), radius=round(48 * s), fill="white")
    inner = tuple(round(v * s) for v in (250, 290, 774, 660))
    draw.rounded_rectangle(inner, radius=round(24 * s), fill=(220, 234, 250))
    draw.ellipse(tuple(round(v * s) for v in (610, 330, 710, 430)), fill=(255, 196, 61))
    draw.polygon(
        [(round(x * s), round(y * s)) for x, y in ((250, 660), (430, 420), (560, 590), (250, 660))],
        fill=(60, 120, 200),
    )
    draw.polygon(
        [(round(x * s), round(y * s)) for x, y in ((400, 660), (600, 470), (774, 660))],
        fill=(36, 90, 170),
    )
    # The tag: a rounded label with a hole, bottom right.
    tag = [
        (round(x * s), round(y * s))
        for x, y in ((600, 640), (760, 640), (860, 740), (760, 840), (600, 840))
    ]
    draw.polygon(tag, fill=(255, 255, 255))
    draw.polygon(
        [
            (round(x * s), round(y * s))
            for x, y in ((618, 658), (752, 658), (834, 740), (752, 822), (618, 822))
        ],
        fill=(255, 140, 66),
    )
    draw.ellipse(tuple(round(v * s) for v in (740, 722, 776, 758)), fill="white")
    return icon


def main() -> None:
    master = draw_icon(MASTER)
    for size in SIZES:
        master.resize((size, size), Image.Resampling.LANCZOS).save(HERE / f"edgeclass-{size}.png")
    master.save(HERE / "edgeclass.ico", sizes=[(n, n) for n in (16, 24, 32, 48, 64, 128, 256)])
    master.save(HERE / "edgeclass.icns")
    print(f"wrote icons to {HERE}")


if __name__ == "__main__":
    main()
