"""Augmentation shapes, MixUp/CutMix targets, metrics and slices, atomic model folders."""

from __future__ import annotations

import json
import os
import random
import stat

import numpy as np
import pytest
from PIL import Image

from edgeclass.trainer.augment import AugmentConfig, TrainTransform, mix_batch, rand_augment
from edgeclass.trainer.evaluate import (
    ImageFacts,
    classification_metrics,
    slice_markdown,
    slice_table,
    write_report,
)
from edgeclass.trainer.output import write_model_folder


def photo(width=120, height=90) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8))


def test_train_transform_gives_the_crop_size_and_varies():
    random.seed(0)
    transform = TrainTransform(AugmentConfig(size=(40, 48), rotation=15, randaugment_ops=2))
    outputs = [np.asarray(transform(photo())) for _ in range(4)]
    assert all(o.shape == (40, 48, 3) for o in outputs)
    assert not np.array_equal(outputs[0], outputs[1])


def test_transform_is_repeatable_under_the_same_seed():
    transform = TrainTransform(AugmentConfig(size=(32, 32)))
    random.seed(7)
    first = np.asarray(transform(photo()))
    random.seed(7)
    assert np.array_equal(first, np.asarray(transform(photo())))


def test_rand_augment_changes_the_image_differently_each_time():
    image = photo()
    random.seed(1)
    outputs = [rand_augment(image, num_ops=3, magnitude=15) for _ in range(8)]
    assert all(out.size == (120, 90) and out.mode == "RGB" for out in outputs)
    pixels = {out.tobytes() for out in outputs}
    assert len(pixels) == 8 and image.tobytes() not in pixels
    assert rand_augment(image, num_ops=0, magnitude=15).tobytes() == image.tobytes()


@pytest.mark.parametrize(("mixup", "cutmix"), [(0.4, 0.0), (0.0, 1.0)])
def test_mix_batch_targets_are_distributions_matching_the_pixels(mixup, cutmix):
    import torch

    random.seed(0)
    torch.manual_seed(0)
    pixels = torch.stack([torch.full((3, 16, 16), float(i)) for i in range(4)])
    labels = torch.tensor([0, 1, 2, 0])
    mixed, targets = mix_batch(pixels, labels, 3, mixup, cutmix)
    assert targets.shape == (4, 3)
    assert torch.allclose(targets.sum(dim=1), torch.ones(4))
    assert mixed.shape == pixels.shape
    assert not torch.equal(mixed, pixels)


def test_metrics_on_a_known_binary_case():
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    p1 = np.array([0.1, 0.2, 0.7, 0.9, 0.8, 0.6, 0.4, 0.3])
    metrics = classification_metrics(labels, np.stack([1 - p1, p1], axis=1), ["cat", "dog"])
    assert metrics["accuracy"] == pytest.approx(5 / 8)
    assert metrics["balanced_accuracy"] == pytest.approx((2 / 3 + 3 / 5) / 2)
    assert metrics["f1_per_class"]["dog"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))
    assert metrics["roc_auc"] == pytest.approx(12 / 15)  # 12 of 15 (cat, dog) pairs ordered
    # observed agreement 5/8, chance agreement 3/8 * 4/8 + 5/8 * 4/8 = 1/2
    assert metrics["cohen_kappa"] == pytest.approx((5 / 8 - 1 / 2) / (1 - 1 / 2))


def test_slice_table_names_the_worst_slice_with_enough_images():
    facts, labels, predictions = [], [], []
    for i in range(40):
        dark = i < 20
        facts.append(ImageFacts(500, 400, 40.0 if dark else 200.0))
        labels.append(0)
        predictions.append(1 if dark and i % 2 else 0)  # half the dark ones wrong
    facts.append(ImageFacts(100, 100, 120.0))  # a one-image slice, all wrong: too small to name
    labels.append(0)
    predictions.append(1)
    table = slice_table(np.array(labels), np.array(predictions), facts)
    assert table["worst"]["slice"] == "brightness: dark (< 85)"
    assert table["worst"]["accuracy"] == pytest.approx(0.5)
    assert "Worst slice: **brightness: dark (< 85)**" in slice_markdown(table)


def test_report_writes_plots_and_json(tmp_path):
    labels = np.array([0, 1, 0, 1])
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])
    facts = [ImageFacts(300, 200, 100.0)] * 4
    history = [{"epoch": 1, "train_loss": 0.7, "val_loss": 0.6, "val_accuracy": 0.5}]
    _, _, plots = write_report(tmp_path, labels, probabilities, ["a", "b"], facts, history)
    assert {p.name for p in plots} == {
        "confusion_matrix.png", "roc_curve.png", "training_curves.png"
    }  # fmt: skip
    assert json.loads((tmp_path / "test_metrics.json").read_text())["accuracy"] == 0.5


def _tiny_model(tiny_config):
    from transformers import MobileViTForImageClassification, MobileViTImageProcessor

    return MobileViTForImageClassification(tiny_config), MobileViTImageProcessor()


def test_model_folder_is_replaced_whole_or_not_at_all(tmp_path, tiny_config):
    model, processor = _tiny_model(tiny_config)
    target = tmp_path / "model"
    write_model_folder(target, model, processor, {"version": 1})
    assert json.loads((target / "training_summary.json").read_text()) == {"version": 1}

    # A failure after the weights were written (summary not JSON-serialisable) must leave the
    # previous folder untouched and no temporary folder behind.
    with pytest.raises(TypeError):
        write_model_folder(target, model, processor, {"version": object()})
    assert json.loads((target / "training_summary.json").read_text()) == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]

    write_model_folder(target, model, processor, {"version": 2})
    assert json.loads((target / "training_summary.json").read_text()) == {"version": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_model_folder_gets_the_modes_of_newly_made_files(tmp_path, tiny_config):
    # The folder is built with mkdtemp/mkstemp (owner-only); renamed into place it must not
    # stay that way, or other users and tools cannot read a model someone shared.
    old_umask = os.umask(0o022)
    os.umask(old_umask)
    model, processor = _tiny_model(tiny_config)
    target = write_model_folder(tmp_path / "model", model, processor, {"version": 1})
    assert stat.S_IMODE(target.stat().st_mode) == 0o777 & ~old_umask
    for path in target.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~old_umask, path.name
