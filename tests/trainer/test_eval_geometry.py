"""Evaluation images get their geometry in the dataset (EvalTransform), so the one collator can
serve training and evaluation: the tensors must be the full image processor's, never mixed."""

from __future__ import annotations

import pytest
from trainer_data import make_folder

from edgeclass.trainer.data import load_data
from edgeclass.trainer.dataset import Collator, EvalTransform, ImageDataset
from edgeclass.trainer.model import mobilevit_processor


@pytest.fixture
def samples(tmp_path):
    # Images of several sizes (40-64 px), JPEG and PNG, read back from disk.
    splits = load_data(str(make_folder(tmp_path / "data", per_class=4)), val_fraction=0.25,
                       test_fraction=0.0, seed=0)  # fmt: skip
    return splits.train


def test_eval_batches_are_the_full_processors_tensors(samples):
    import torch

    processor = mobilevit_processor(32)  # resize the shortest edge to 36, centre crop 32
    dataset = ImageDataset(samples, EvalTransform(processor))
    batch = Collator(processor, num_labels=3)([dataset[i] for i in range(len(dataset))])
    expected = processor([s.open() for s in samples], return_tensors="pt")["pixel_values"]
    assert batch["pixel_values"].shape == (len(samples), 3, 32, 32)
    assert torch.equal(batch["pixel_values"], expected)
    assert batch["labels"].tolist() == [s.label for s in samples]


def test_only_training_batches_are_mixed(samples):
    processor = mobilevit_processor(32)
    collator = Collator(processor, num_labels=3, mixup_alpha=1.0, cutmix_alpha=1.0, mix_prob=1.0)
    evaluation = ImageDataset(samples, EvalTransform(processor))
    training = ImageDataset(samples, EvalTransform(processor), train=True)
    assert collator([evaluation[i] for i in range(4)])["labels"].dtype.is_floating_point is False
    assert collator([training[i] for i in range(4)])["labels"].dtype.is_floating_point is True
