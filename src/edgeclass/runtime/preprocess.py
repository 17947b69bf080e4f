"""Reproduce a Hugging Face image processor (MobileViT, ViT, DeiT, ...) with Pillow and numpy.

The steps and their order follow `transformers.image_transforms` exactly: resize with Pillow (the
same call transformers makes), centre crop (zero-padded when the image is smaller than the crop),
rescale, optional mean/std normalisation, optional RGB->BGR flip, channels first. Cropping happens
on uint8 before the float conversion because every later step is per pixel, so the result is the
same and four times less memory is touched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from edgeclass.errors import ModelError

# What the transformers classes assume for keys a saved config leaves out.
_CLASS_DEFAULTS: dict[str, dict[str, Any]] = {
    "MobileViTImageProcessor": {
        "do_resize": True,
        "size": {"shortest_edge": 224},
        "resample": 2,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_center_crop": True,
        "crop_size": {"height": 256, "width": 256},
        "do_flip_channel_order": True,
    },
    "ViTImageProcessor": {
        "do_resize": True,
        "size": {"height": 224, "width": 224},
        "resample": 2,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
    },
}
# Reduced decoding stops shrinking while the model's resize still has to downscale by at least
# this much: the resize's bilinear filter then averages over 2+ decoded pixels per output pixel,
# as it does from a full decode. Chosen by measurement (bench/classify_folder.py, docs/cli.md).
DECODE_MARGIN = 2.0
# Resizing only the crop box (see __call__) when the full resize would make at least this many
# times the crop's pixels. Below it the full resize is cheap, and keeping it keeps a photo that
# needs no reduction bit-identical to the exact path.
CROP_BOX_MIN_RATIO = 4

_CLASS_DEFAULTS["MobileViTFeatureExtractor"] = _CLASS_DEFAULTS["MobileViTImageProcessor"]
_CLASS_DEFAULTS["ViTFeatureExtractor"] = _CLASS_DEFAULTS["ViTImageProcessor"]


@dataclass(frozen=True)
class Preprocessor:
    """What preprocessor_config.json asks for. Call it on an RGB image: (3, H, W) float32."""

    # Exactly one of resize_shortest_edge / resize_to is set when do_resize.
    resize_shortest_edge: int | None = None
    resize_to: tuple[int, int] | None = None  # (height, width)
    resample: Image.Resampling = Image.Resampling.BILINEAR
    crop_to: tuple[int, int] | None = None  # (height, width)
    rescale_factor: float | None = 1 / 255
    image_mean: tuple[float, float, float] | None = None
    image_std: tuple[float, float, float] | None = None
    flip_channel_order: bool = False

    @property
    def output_size(self) -> tuple[int, int] | None:
        """(height, width) of every tensor this produces, or None when it follows the image."""
        if self.crop_to is not None:
            return self.crop_to
        return self.resize_to

    @classmethod
    def from_config(
        cls, config: dict[str, Any], source: str = "preprocessor config"
    ) -> Preprocessor:
        if not isinstance(config, dict):
            raise ModelError(f"{source} must be a JSON object")
        try:
            return cls._parse(config)
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(
                f"{source} is not a supported image processor config: {error}"
            ) from None

    @classmethod
    def _parse(cls, config: dict[str, Any]) -> Preprocessor:
        kind = config.get("image_processor_type") or config.get("feature_extractor_type")
        config = {**_CLASS_DEFAULTS.get(str(kind).removesuffix("Fast"), {}), **config}
        do_crop = bool(config.get("do_center_crop", False))
        shortest_edge = None
        resize_to = None
        if config.get("do_resize", True):
            size = config.get("size")
            if size is None:
                raise ValueError("do_resize is set but `size` is missing")
            if isinstance(size, int):
                # transformers' get_size_dict: cropping processors treat a bare int as the shortest
                # edge (MobileViT, ConvNeXt); the others as a square (ViT).
                size = {"shortest_edge": size} if do_crop else {"height": size, "width": size}
            if set(size) == {"shortest_edge"}:
                shortest_edge = int(size["shortest_edge"])
            elif set(size) == {"height", "width"}:
                resize_to = (int(size["height"]), int(size["width"]))
            else:
                raise ValueError(f"unsupported `size` {size}")
            if "crop_pct" in config and config["crop_pct"] is not None:
                raise ValueError("`crop_pct` resizing (ConvNeXt) is not supported")
        crop_to = None
        if do_crop:
            crop = config.get("crop_size")
            if isinstance(crop, int):
                crop = {"height": crop, "width": crop}
            if not isinstance(crop, dict):
                raise ValueError(f"crop_size must be a number or a height/width pair, not {crop!r}")
            crop_to = (int(crop["height"]), int(crop["width"]))
        rescale = float(config.get("rescale_factor", 1 / 255)) if config.get("do_rescale") else None
        mean = std = None
        if config.get("do_normalize"):
            mean = _three(config["image_mean"])
            std = _three(config["image_std"])
        if shortest_edge is None and resize_to is None and crop_to is None:
            raise ValueError("neither resize nor crop is set, so tensor sizes would vary")
        return cls(
            resize_shortest_edge=shortest_edge,
            resize_to=resize_to,
            resample=Image.Resampling(int(config.get("resample", Image.Resampling.BILINEAR))),
            crop_to=crop_to,
            rescale_factor=rescale,
            image_mean=mean,
            image_std=std,
            flip_channel_order=bool(config.get("do_flip_channel_order", False)),
        )

    def resized_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) after the resize step, computed as transformers does."""
        if self.resize_to is not None:
            return self.resize_to[1], self.resize_to[0]
        if self.resize_shortest_edge is None:
            return width, height
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = (
            self.resize_shortest_edge,
            int(self.resize_shortest_edge * long / short),
        )
        return (new_short, new_long) if width <= height else (new_long, new_short)

    def max_reduction(self, width: int, height: int, margin: float | None = None) -> int:
        """The largest whole factor a width x height image may be shrunk by before the resize.

        The resize then still downscales by at least `margin`. 1 when nothing may be dropped
        (no resize, or an image already near the model's size).
        """
        margin = DECODE_MARGIN if margin is None else margin
        if self.resize_shortest_edge is not None:
            factor = min(width, height) / (self.resize_shortest_edge * margin)
        elif self.resize_to is not None:
            target_height, target_width = self.resize_to
            factor = min(width / (target_width * margin), height / (target_height * margin))
        else:
            return 1
        return max(1, int(factor))

    def produced_size(self, width: int, height: int, *, crop_box_only: bool) -> tuple[int, int]:
        """(width, height) of the bitmap the resize step makes from a width x height image."""
        resized = self.resized_size(width, height)
        if self.crop_to is None or not (crop_box_only and self._crop_box_pays_off(resized)):
            return resized
        crop_height, crop_width = self.crop_to
        return _visible_length(resized[0], crop_width), _visible_length(resized[1], crop_height)

    def __call__(
        self,
        image: Image.Image,
        *,
        crop_box_only: bool = False,
        box: tuple[float, float, float, float] | None = None,
        full_size: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """The model's input tensor for an RGB image.

        box, full_size: for an image decoded reduced (runtime.images.DecodedImage), the part of
        `image` the full picture maps to and the full picture's size, which the resize target
        is computed from, as the exact path computes it.

        crop_box_only: when the resize would make a bitmap much larger than the crop, resize
        only the part of the image the centre crop keeps (Pillow's `resize(box=...)`), so a
        20000x1 image costs a crop-sized bitmap instead of a 3,960,000x198 one. Pixels may
        then differ from the full resize by one level (float rounding of the box), so the
        exact Hugging Face path leaves it off.
        """
        if image.mode != "RGB":
            raise ValueError(f"expected an RGB image, got mode {image.mode}")
        size = self.resized_size(*(full_size or image.size))
        if crop_box_only and size != image.size and self._crop_box_pays_off(size):
            pixels = self._resize_crop_box(image, size, box)
        else:
            if size != image.size or box is not None:
                # (Pillow returns an identical copy for an unchanged size and no box.)
                image = image.resize(size, resample=self.resample, box=box)
            pixels = np.asarray(image)  # (H, W, 3) uint8
        if self.crop_to is not None:
            pixels = center_crop(pixels, *self.crop_to)
        tensor: np.ndarray = pixels.astype(np.float32)
        if self.rescale_factor is not None:
            tensor *= np.float32(self.rescale_factor)
        if self.image_mean is not None and self.image_std is not None:
            tensor = (tensor - np.asarray(self.image_mean, np.float32)) / np.asarray(
                self.image_std, np.float32
            )
        tensor = tensor.transpose(2, 0, 1)
        if self.flip_channel_order:
            tensor = tensor[::-1]
        return np.ascontiguousarray(tensor)

    def _crop_box_pays_off(self, resized: tuple[int, int]) -> bool:
        if self.crop_to is None:
            return False
        return resized[0] * resized[1] >= CROP_BOX_MIN_RATIO * self.crop_to[0] * self.crop_to[1]

    def _resize_crop_box(
        self,
        image: Image.Image,
        size: tuple[int, int],
        box: tuple[float, float, float, float] | None,
    ) -> np.ndarray:
        """What resize-then-centre-crop keeps, resized from the matching source box only."""
        assert self.crop_to is not None
        (new_width, new_height), (crop_height, crop_width) = size, self.crop_to
        left = max(0, (new_width - crop_width) // 2)
        top = max(0, (new_height - crop_height) // 2)
        width = _visible_length(new_width, crop_width)
        height = _visible_length(new_height, crop_height)
        x0, y0, x1, y1 = box or (0.0, 0.0, image.width, image.height)
        scale_x, scale_y = (x1 - x0) / new_width, (y1 - y0) / new_height
        crop_box = (
            x0 + left * scale_x,
            y0 + top * scale_y,
            x0 + (left + width) * scale_x,
            y0 + (top + height) * scale_y,
        )
        return np.asarray(image.resize((width, height), resample=self.resample, box=crop_box))


def _visible_length(resized: int, crop: int) -> int:
    """How much of a resized side a centre crop keeps (all of it when the crop pads)."""
    return min(resized, crop)


def center_crop(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """transformers.image_transforms.center_crop on (H, W, C): zero padding when too small."""
    orig_h, orig_w = pixels.shape[:2]
    top = (orig_h - height) // 2
    left = (orig_w - width) // 2
    if top >= 0 and left >= 0:
        return pixels[top : top + height, left : left + width]
    new_h, new_w = max(height, orig_h), max(width, orig_w)
    padded = np.zeros((new_h, new_w, *pixels.shape[2:]), dtype=pixels.dtype)
    top_pad = math.ceil((new_h - orig_h) / 2)
    left_pad = math.ceil((new_w - orig_w) / 2)
    padded[top_pad : top_pad + orig_h, left_pad : left_pad + orig_w] = pixels
    top += top_pad
    left += left_pad
    return padded[max(0, top) : min(new_h, top + height), max(0, left) : min(new_w, left + width)]


def _three(values: Any) -> tuple[float, float, float]:
    if isinstance(values, (int, float)):
        values = [values] * 3
    if len(values) != 3:
        raise ValueError(f"expected 3 channel values, got {values}")
    return (float(values[0]), float(values[1]), float(values[2]))
