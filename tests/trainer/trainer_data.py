"""Real, learnable image folders for trainer tests (written as JPEG/PNG files by the tests)."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

# Three classes a tiny model learns in a few epochs: colour and shape both differ.
CLASSES = {
    "red_circle": ((210, 40, 40), "ellipse"),
    "green_square": ((40, 190, 60), "rectangle"),
    "blue_stripes": ((40, 70, 210), "stripes"),
}


def draw_image(kind: str, rng: random.Random, size: int = 48) -> Image.Image:
    colour, shape = CLASSES[kind]
    background = tuple(rng.randint(0, 60) + 150 for _ in range(3))
    image = Image.new("RGB", (size + rng.randint(-8, 16), size + rng.randint(-8, 8)), background)
    draw = ImageDraw.Draw(image)
    w, h = image.size
    jitter = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in colour)
    x0, y0 = rng.randint(0, w // 4), rng.randint(0, h // 4)
    x1, y1 = w - rng.randint(0, w // 4), h - rng.randint(0, h // 4)
    if shape == "ellipse":
        draw.ellipse((x0, y0, x1, y1), fill=jitter)
    elif shape == "rectangle":
        draw.rectangle((x0, y0, x1, y1), fill=jitter)
    else:
        for x in range(0, w, 8):
            draw.rectangle((x, 0, x + 3, h), fill=jitter)
    return image


def make_folder(root: Path, per_class: int, seed: int = 0, classes=tuple(CLASSES)) -> Path:
    """root/<class>/<n>.jpg|png with `per_class` images each."""
    rng = random.Random(seed)
    for kind in classes:
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            suffix = ".png" if i % 3 == 0 else ".jpg"
            draw_image(kind, rng).save(folder / f"{kind}_{seed}_{i:03d}{suffix}")
    return root


def fast_options(tmp_path: Path, data: Path, **extra) -> dict:
    """Overrides for a run that takes seconds on CPU."""
    options = {
        "data": str(data),
        "output": str(tmp_path / "run"),
        "image_size": 32,
        "epochs": 2,
        "batch_size": 8,
        "learning_rate": 3e-3,
        "warmup_ratio": 0.0,
        "precision": "no",
        "tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "seed": 0,
    }
    options.update(extra)
    return options
