"""Torch datasets over `Sample`s, an in-memory cache of decoded images, and the batch collator.

The collator runs the model's own image processor: the full processor (resize, centre crop,
rescale, channel order) for evaluation, and only its pixel steps for training, where the random
resized crop has already produced images of the processor's crop size.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from edgeclass.trainer.augment import mix_batch
from edgeclass.trainer.data import Sample

log = logging.getLogger(__name__)

DECODE_ERRORS = (OSError, ValueError, Image.DecompressionBombError)


def decode_resized(sample: Sample, shortest_edge: int | None) -> Image.Image:
    """Decode one sample; downscale (never upscale) so its shortest edge is `shortest_edge`."""
    image = sample.open()
    if shortest_edge is not None and min(image.size) > shortest_edge:
        scale = shortest_edge / min(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR)
    return image


class DecodedCache:
    """Images decoded once into uint8 arrays so each epoch skips JPEG decoding.

    Unreadable images are dropped here, before training, and counted in `failed`.
    """

    def __init__(self, samples: Sequence[Sample], shortest_edge: int | None, desc: str) -> None:
        from tqdm.auto import tqdm

        self.samples: list[Sample] = []
        self.arrays: list[np.ndarray] = []
        self.failed = 0
        bar = tqdm(samples, desc=f"decoding {desc} images", unit="img", leave=False, disable=None)
        for sample in bar:  # disable=None: a bar on a terminal only, not in log files
            try:
                array = np.asarray(decode_resized(sample, shortest_edge))
            except DECODE_ERRORS as error:
                log.warning("skipping unreadable image %s: %s", sample.display_name, error)
                self.failed += 1
                continue
            self.samples.append(sample)
            self.arrays.append(array)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays)


def should_cache(num_images: int, shortest_edge: int) -> bool:
    """Cache when the decoded images take less than a quarter of RAM (and 8 GB)."""
    estimate = num_images * (shortest_edge * shortest_edge * 4 // 3) * 3
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 << 30
    return estimate < min(ram // 4, 8 << 30)


class ImageDataset:
    """Map-style dataset yielding {"image": PIL RGB, "label": int}.

    Reads from a `DecodedCache` when given, from disk otherwise. An image that cannot be decoded
    mid-epoch is replaced by the next readable one and counted, so an epoch never crashes.
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        transform=None,
        cache: DecodedCache | None = None,
    ) -> None:
        self.samples = list(cache.samples if cache is not None else samples)
        self.arrays = cache.arrays if cache is not None else None
        self.transform = transform
        self.unreadable = 0

    def __len__(self) -> int:
        return len(self.samples)

    def _load(self, index: int) -> Image.Image:
        if self.arrays is not None:
            return Image.fromarray(self.arrays[index])
        return self.samples[index].open()

    def __getitem__(self, index: int) -> dict[str, Any]:
        for attempt in range(len(self.samples)):
            i = (index + attempt) % len(self.samples)
            try:
                image = self._load(i)
            except DECODE_ERRORS as error:
                self.unreadable += 1
                log.warning("skipping unreadable image %s: %s", self.samples[i].display_name, error)
                continue
            if self.transform is not None:
                image = self.transform(image)
            return {"image": image, "label": self.samples[i].label}
        raise RuntimeError("no readable image in the dataset")  # scan guarantees some exist


class Collator:
    """Turns a list of {"image", "label"} into {"pixel_values", "labels"} with the processor."""

    def __init__(
        self,
        processor,
        *,
        train: bool,
        num_labels: int,
        mixup_alpha: float = 0.0,
        cutmix_alpha: float = 0.0,
        mix_prob: float = 0.0,
    ) -> None:
        self.processor = processor
        self.train = train
        self.num_labels = num_labels
        self.mixup_alpha = mixup_alpha
        self.cutmix_alpha = cutmix_alpha
        self.mix_prob = mix_prob

    def __call__(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        images = [item["image"] for item in batch]
        labels = torch.tensor([item["label"] for item in batch], dtype=torch.long)
        if self.train:
            # Geometry came from the augmentation; keep the processor's pixel steps only.
            pixels = self.processor(
                images, do_resize=False, do_center_crop=False, return_tensors="pt"
            )["pixel_values"]
        else:
            pixels = self.processor(images, return_tensors="pt")["pixel_values"]
        if (
            self.train
            and (self.mixup_alpha > 0 or self.cutmix_alpha > 0)
            and random.random() < self.mix_prob
        ):
            pixels, targets = mix_batch(
                pixels, labels, self.num_labels, self.mixup_alpha, self.cutmix_alpha
            )
            return {"pixel_values": pixels, "labels": targets}
        return {"pixel_values": pixels, "labels": labels}
