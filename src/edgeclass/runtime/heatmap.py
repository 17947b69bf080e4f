"""A heat map drawn over a photo: numpy and Pillow only (no matplotlib in the runtime)."""

from __future__ import annotations

import numpy as np
from PIL import Image

# The "inferno" colour ramp at five stops: dark (no effect) to bright yellow (most effect).
_STOPS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
_COLOURS = np.array(
    [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float64
)


def normalise(heat: np.ndarray) -> np.ndarray:
    """0..1 over the positive part: where hiding the pixels lowered the label's probability.
    Negative values (hiding raised it) show as 0, and an all-flat map as all 0."""
    positive = np.clip(np.asarray(heat, dtype=np.float64), 0.0, None)
    peak = positive.max() if positive.size else 0.0
    return positive / peak if peak > 1e-6 else np.zeros_like(positive)


def colourise(scaled: np.ndarray) -> np.ndarray:
    """(H, W) in 0..1 -> (H, W, 3) uint8 on the inferno ramp."""
    channels = [np.interp(scaled, _STOPS, _COLOURS[:, c]) for c in range(3)]
    rgb: np.ndarray = np.rint(np.stack(channels, axis=-1)).astype(np.uint8)
    return rgb


def overlay(
    view: Image.Image, heat: np.ndarray, *, size: int = 512, alpha: float = 0.55
) -> Image.Image:
    """`heat` over `view`, both scaled so the longer side is `size` pixels (bilinear)."""
    width, height = view.size
    scale = size / max(width, height)
    out_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    photo = np.asarray(view.convert("RGB").resize(out_size, Image.Resampling.BICUBIC), np.float64)
    heat_image = Image.fromarray(normalise(heat).astype(np.float32), mode="F")
    scaled = np.asarray(heat_image.resize(out_size, Image.Resampling.BILINEAR), np.float64)
    scaled = np.clip(scaled, 0.0, 1.0)
    colours = colourise(scaled).astype(np.float64)
    # Cold regions stay readable: the colour covers them only lightly.
    weight = (alpha * (0.3 + 0.7 * scaled))[..., np.newaxis]
    blended = (1.0 - weight) * photo + weight * colours
    return Image.fromarray(np.clip(np.rint(blended), 0, 255).astype(np.uint8), mode="RGB")
