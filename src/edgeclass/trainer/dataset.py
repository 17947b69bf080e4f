"""Torch datasets over `Sample`s, an in-memory cache of decoded images, and the batch collator.

Each dataset's transform gives its images their final geometry: the random resized crop for
training (augment.TrainTransform), the image processor's own resize + centre crop for
evaluation (`EvalTransform`), like the runtime. The one collator then runs only the processor's
pixel steps (rescale, channel order), and mixes training batches (MixUp/CutMix).
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable, Sequence
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
    """Map-style dataset yielding {"image": PIL RGB, "label": int, "train": bool}.

    Reads from a `DecodedCache` when given, from disk otherwise. An image that cannot be decoded
    mid-epoch is replaced by the next readable one and counted, so an epoch never crashes.
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        transform: Callable[[Image.Image], Image.Image] | None = None,
        cache: DecodedCache | None = None,
        *,
        train: bool = False,
    ) -> None:
        self.samples = list(cache.samples if cache is not None else samples)
        self.arrays = cache.arrays if cache is not None else None
        self.transform = transform
        self.train = train  # its batches may be mixed (MixUp/CutMix)
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
            return {"image": image, "label": self.samples[i].label, "train": self.train}
        raise RuntimeError("no readable image in the dataset")  # scan guarantees some exist


# The processor steps that change pixel values rather than geometry.
PIXEL_STEPS = ("do_rescale", "do_normalize", "do_flip_channel_order")


class EvalTransform:
    """PIL image in, the image processor's resize + centre crop of it out (uint8, lossless), so
    the collator's pixel steps then build exactly the tensor the full processor would."""

    def __init__(self, processor: Any) -> None:
        self.processor = processor
        self.pixel_steps_off = {name: False for name in PIXEL_STEPS if hasattr(processor, name)}

    def __call__(self, image: Image.Image) -> Image.Image:
        pixels = self.processor(image, data_format="channels_last", **self.pixel_steps_off)
        return Image.fromarray(np.asarray(pixels["pixel_values"][0], dtype=np.uint8))


class Collator:
    """Turns a list of {"image", "label", "train"} into {"pixel_values", "labels"}: the
    processor's pixel steps on images already at their final size, then, for training batches,
    MixUp/CutMix on a share of them."""

    def __init__(
        self,
        processor: Any,
        *,
        num_labels: int,
        mixup_alpha: float = 0.0,
        cutmix_alpha: float = 0.0,
        mix_prob: float = 0.0,
    ) -> None:
        self.processor = processor
        self.num_labels = num_labels
        self.mixup_alpha = mixup_alpha
        self.cutmix_alpha = cutmix_alpha
        self.mix_prob = mix_prob

    def __call__(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        images = [item["image"] for item in batch]
        labels = torch.tensor([item["label"] for item in batch], dtype=torch.long)
        pixels = self.processor(images, do_resize=False, do_center_crop=False, return_tensors="pt")[
            "pixel_values"
        ]
        if (
            all(item.get("train", False) for item in batch)
            and (self.mixup_alpha > 0 or self.cutmix_alpha > 0)
            and random.random() < self.mix_prob
        ):
            pixels, targets = mix_batch(
                pixels, labels, self.num_labels, self.mixup_alpha, self.cutmix_alpha
            )
            return {"pixel_values": pixels, "labels": targets}
        return {"pixel_values": pixels, "labels": labels}
