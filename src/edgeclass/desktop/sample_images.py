"""Generated test pictures (gradients and shapes): free to use anywhere, no photos needed."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

COLOURS = ((231, 76, 60), (46, 134, 222), (39, 174, 96), (241, 196, 15), (142, 68, 173))


def make_picture(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A gradient background with a few random shapes; the same seed draws the same picture."""
    rng = random.Random(seed)
    width, height = size
    top, bottom = rng.sample(COLOURS, 2)
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(height - 1, 1)
        column.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    image = column.resize((width, height))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(2, 5)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randint(20, width // 2), y0 + rng.randint(20, height // 2)
        colour = rng.choice(COLOURS)
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour, outline="white", width=3)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour, outline="white", width=3)
    return image


def write_sample_images(folder: Path, count: int = 4, seed: int = 0) -> tuple[list[Path], Path]:
    """`count` good images (JPEG and PNG) and one corrupt JPEG in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    good = []
    for index in range(count):
        suffix = ".png" if index % 2 else ".jpg"
        path = folder / f"sample-{index:02d}{suffix}"
        make_picture(seed + index).save(path)
        good.append(path)
    corrupt = folder / "corrupt.jpg"
    data = good[0].read_bytes() if good[0].suffix == ".jpg" else b"\xff\xd8\xff\xe0"
    corrupt.write_bytes(data[: max(len(data) // 10, 4)])  # a truncated JPEG
    return good, corrupt
