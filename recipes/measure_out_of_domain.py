"""How a model answers images that are none of its labels: generated drawings, shapes, noise.

A cats-vs-dogs model has no "neither" answer; this measures how confident it is anyway, for the
model card's limits section. Prints one JSON object.

    python recipes/measure_out_of_domain.py MODEL_DIR [--per-kind 20]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from edgeclass.runtime import Classifier


def _gradient(rng: np.random.Generator, size: int) -> Image.Image:
    start, end = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    ramp = np.linspace(0.0, 1.0, size)[:, None, None]
    rows = (start + (end - start) * ramp).astype(np.uint8)
    return Image.fromarray(np.repeat(rows, size, axis=1))


def _shapes(rng: np.random.Generator, size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = (int(v) for v in rng.integers(0, size - 20, 2))
        x1, y1 = x0 + int(rng.integers(10, size // 2)), y0 + int(rng.integers(10, size // 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    return image


def _line_drawing(rng: np.random.Generator, size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    points = [tuple(int(v) for v in rng.integers(0, size, 2)) for _ in range(12)]
    draw.line(points, fill="black", width=3)
    draw.text((10, 10), "hello", fill="black")
    return image


def _noise(rng: np.random.Generator, size: int) -> Image.Image:
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


KINDS = {"gradient": _gradient, "shapes": _shapes, "line_drawing": _line_drawing, "noise": _noise}


def measure(model_dir: str, per_kind: int, size: int = 256) -> dict:
    classifier = Classifier(model_dir)
    rng = np.random.default_rng(0)
    summary: dict = {"model": str(model_dir), "labels": list(classifier.labels), "kinds": {}}
    all_scores = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, make in KINDS.items():
            paths = []
            for index in range(per_kind):
                path = Path(tmp) / f"{kind}-{index:03d}.png"
                make(rng, size).save(path)
                paths.append(path)
            results = list(classifier.classify_paths(paths, top_k=1))
            scores = [r.score for r in results if r.ok]
            labels = [r.label for r in results if r.ok]
            all_scores += scores
            summary["kinds"][kind] = {
                "images": len(paths),
                "mean_top_probability": round(float(np.mean(scores)), 4),
                "labels": {label: labels.count(label) for label in sorted(set(labels))},
            }
    scores = np.asarray(all_scores)
    summary["images"] = int(scores.size)
    summary["mean_top_probability"] = round(float(scores.mean()), 4)
    for threshold in (0.6, 0.7, 0.8, 0.9):
        summary[f"share_below_{threshold}"] = round(float((scores < threshold).mean()), 4)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("--per-kind", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(measure(args.model_dir, args.per_kind), indent=2))


if __name__ == "__main__":
    main()
