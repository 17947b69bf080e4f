"""Generated, learnable image folders for the quantize tests: a colour and a shape per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

LABELS = ("cat", "dog", "bird")
STEPS = 25
# Each class is a colour and a shape on a noisy background: learnable in a few dozen steps.
STYLES = {
    "cat": ((220, 60, 40), "ellipse"),
    "dog": ((40, 180, 60), "rectangle"),
    "bird": ((50, 70, 220), "polygon"),
}


def draw_example(label: str, rng: np.random.Generator, size: int = 80) -> Image.Image:
    colour, shape = STYLES[label]
    tint = np.asarray(colour, np.int16) // 2 + 40  # the background leans to the class colour
    noise = rng.integers(-40, 41, (size, size, 3), dtype=np.int16)
    image = Image.fromarray(np.clip(tint + noise, 0, 255).astype(np.uint8), "RGB")
    colour = tuple(int(np.clip(c + rng.integers(-30, 31), 0, 255)) for c in colour)
    x0, y0 = rng.integers(4, 24, 2)
    x1, y1 = x0 + rng.integers(36, 52), y0 + rng.integers(36, 52)
    draw = ImageDraw.Draw(image)
    if shape == "polygon":
        draw.polygon([(x0, y1), ((x0 + x1) // 2, y0), (x1, y1)], fill=colour)
    else:
        getattr(draw, shape)([x0, y0, x1, y1], fill=colour)
    return image


def write_split(root: Path, per_class: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    for label in LABELS:
        folder = root / label
        folder.mkdir(parents=True)
        for index in range(per_class):
            draw_example(label, rng).save(folder / f"{label}_{index:03d}.jpg", quality=92)
    return root
