"""Training augmentation on PIL images (Pillow + numpy, no torchvision).

The augmentation replaces the image processor's geometric steps (resize + centre crop) with a
random resized crop of the same output size; the processor's pixel steps (rescale, channel
order) then run unchanged, so training tensors and runtime tensors are built the same way.
MixUp/CutMix act on whole batches of tensors (see `mix_batch`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageEnhance, ImageOps


@dataclass(frozen=True)
class AugmentConfig:
    size: tuple[int, int]  # (height, width) of the crops fed to the model
    crop_scale_min: float = 0.35
    hflip: bool = True
    rotation: float = 10.0  # degrees, uniform in [-rotation, rotation]
    color_jitter: float = 0.3  # strength of brightness/contrast/saturation jitter
    randaugment_ops: int = 0  # 0 turns RandAugment off
    randaugment_magnitude: int = 9  # 0..30 like the paper's scale


class TrainTransform:
    """PIL image in, augmented PIL image of `config.size` out. Uses the `random` module, which
    the trainer seeds (and torch's DataLoader re-seeds in every worker)."""

    def __init__(self, config: AugmentConfig) -> None:
        self.config = config

    def __call__(self, image: Image.Image) -> Image.Image:
        c = self.config
        if c.rotation > 0:
            image = rotate_keep_content(image, random.uniform(-c.rotation, c.rotation))
        image = random_resized_crop(image, c.size, (c.crop_scale_min, 1.0))
        if c.hflip and random.random() < 0.5:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if c.color_jitter > 0:
            image = color_jitter(image, c.color_jitter)
        if c.randaugment_ops > 0:
            image = rand_augment(image, c.randaugment_ops, c.randaugment_magnitude)
        return image


def random_resized_crop(
    image: Image.Image,
    size: tuple[int, int],
    scale: tuple[float, float],
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> Image.Image:
    """Inception-style crop: random area fraction and aspect ratio, resized to `size` (h, w)."""
    width, height = image.size
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * random.uniform(*scale)
        aspect = math.exp(random.uniform(*log_ratio))
        w = round(math.sqrt(target_area * aspect))
        h = round(math.sqrt(target_area / aspect))
        if 0 < w <= width and 0 < h <= height:
            left = random.randint(0, width - w)
            top = random.randint(0, height - h)
            break
    else:  # fall back to a centre crop of the whole image
        w = h = min(width, height)
        left, top = (width - w) // 2, (height - h) // 2
    return image.resize(
        (size[1], size[0]), Image.Resampling.BILINEAR, box=(left, top, left + w, top + h)
    )


def rotate_keep_content(image: Image.Image, degrees: float) -> Image.Image:
    """Rotate, then crop the largest centred rectangle without empty corners."""
    if abs(degrees) < 0.5:
        return image
    width, height = image.size
    rotated = image.rotate(degrees, resample=Image.Resampling.BILINEAR)
    angle = math.radians(abs(degrees))
    # Shrink factor so that the rotated frame's corners stay outside the crop.
    factor = 1.0 / (math.cos(angle) + math.sin(angle) * max(width / height, height / width))
    w, h = max(1, int(width * factor)), max(1, int(height * factor))
    left, top = (width - w) // 2, (height - h) // 2
    return rotated.crop((left, top, left + w, top + h))


def color_jitter(image: Image.Image, strength: float) -> Image.Image:
    ops = [ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color]
    random.shuffle(ops)
    for op in ops:
        image = op(image).enhance(random.uniform(max(0.0, 1 - strength), 1 + strength))
    return image


def _level(magnitude: int, maximum: float) -> float:
    return magnitude / 30.0 * maximum * random.choice((-1, 1))


def _affine(image: Image.Image, matrix: tuple[float, ...]) -> Image.Image:
    return image.transform(
        image.size, Image.Transform.AFFINE, matrix, resample=Image.Resampling.BILINEAR
    )


_RAND_OPS: dict[str, Callable[[Image.Image, int], Image.Image]] = {
    "identity": lambda im, m: im,
    "autocontrast": lambda im, m: ImageOps.autocontrast(im),
    "equalize": lambda im, m: ImageOps.equalize(im),
    "rotate": lambda im, m: im.rotate(_level(m, 30), resample=Image.Resampling.BILINEAR),
    "solarize": lambda im, m: ImageOps.solarize(im, 256 - int(m / 30 * 256)),
    "posterize": lambda im, m: ImageOps.posterize(im, max(1, 8 - int(m / 30 * 4))),
    "contrast": lambda im, m: ImageEnhance.Contrast(im).enhance(1 + _level(m, 0.9)),
    "brightness": lambda im, m: ImageEnhance.Brightness(im).enhance(1 + _level(m, 0.9)),
    "color": lambda im, m: ImageEnhance.Color(im).enhance(1 + _level(m, 0.9)),
    "sharpness": lambda im, m: ImageEnhance.Sharpness(im).enhance(1 + _level(m, 0.9)),
    "shear_x": lambda im, m: _affine(im, (1, _level(m, 0.3), 0, 0, 1, 0)),
    "shear_y": lambda im, m: _affine(im, (1, 0, 0, _level(m, 0.3), 1, 0)),
    "translate_x": lambda im, m: _affine(im, (1, 0, _level(m, 0.45) * im.size[0], 0, 1, 0)),
    "translate_y": lambda im, m: _affine(im, (1, 0, 0, 0, 1, _level(m, 0.45) * im.size[1])),
}


def rand_augment(image: Image.Image, num_ops: int, magnitude: int) -> Image.Image:
    """RandAugment (Cubuk et al., 2019): `num_ops` random ops at one shared magnitude."""
    for name in random.choices(list(_RAND_OPS), k=num_ops):
        image = _RAND_OPS[name](image, magnitude)
    return image


def mix_batch(
    pixel_values: Any, labels: Any, num_labels: int, mixup_alpha: float, cutmix_alpha: float
) -> tuple[Any, Any]:
    """MixUp or CutMix (chosen at random when both are on) on a batch of tensors.

    Returns (pixel_values, soft targets of shape (N, num_labels)).
    """
    import torch

    targets = torch.nn.functional.one_hot(labels, num_labels).float()
    use_cutmix = cutmix_alpha > 0 and (mixup_alpha <= 0 or random.random() < 0.5)
    alpha = cutmix_alpha if use_cutmix else mixup_alpha
    lam = random.betavariate(alpha, alpha)
    order = torch.randperm(labels.shape[0])
    if use_cutmix:
        height, width = pixel_values.shape[-2:]
        cut_h, cut_w = int(height * math.sqrt(1 - lam)), int(width * math.sqrt(1 - lam))
        cy, cx = random.randrange(height), random.randrange(width)
        top, bottom = max(cy - cut_h // 2, 0), min(cy + cut_h // 2, height)
        left, right = max(cx - cut_w // 2, 0), min(cx + cut_w // 2, width)
        pixel_values = pixel_values.clone()
        pixel_values[..., top:bottom, left:right] = pixel_values[order][..., top:bottom, left:right]
        lam = 1 - (bottom - top) * (right - left) / (height * width)
    else:
        pixel_values = lam * pixel_values + (1 - lam) * pixel_values[order]
    return pixel_values, lam * targets + (1 - lam) * targets[order]
