"""Model choices: MobileViT sizes from scratch, local folders, clear errors offline."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from trainer_data import make_folder

from edgeclass.errors import ModelError
from edgeclass.trainer.model import build_model, processor_crop_size


@pytest.mark.parametrize(
    ("size", "millions"), [("xx-small", 1.3), ("x-small", 2.3), ("small", 5.6)]
)
def test_from_scratch_sizes_match_apples_checkpoints(size, millions):
    labels = tuple(f"class{i}" for i in range(1000))  # ImageNet-sized head, as Apple counts
    model, processor, info = build_model("unused", labels, from_scratch=size, image_size=128)
    parameters = sum(p.numel() for p in model.parameters())
    assert round(parameters / 1e6, 1) == millions
    assert info["pretrained"] is False
    assert processor_crop_size(processor) == (128, 128)
    assert processor.size == {"shortest_edge": 144}  # Apple's 288/256 resize ratio
    assert model.config.id2label[999] == "class999"


def test_local_model_folder_gets_a_new_head_for_the_new_labels(tmp_path, tiny_config):
    from transformers import MobileViTForImageClassification, MobileViTImageProcessor

    folder = tmp_path / "pretrained"
    MobileViTForImageClassification(tiny_config).save_pretrained(folder)  # labels cat/dog/bird
    MobileViTImageProcessor(crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    model, processor, info = build_model(str(folder), ("apple", "pear"))
    assert model.config.id2label == {0: "apple", 1: "pear"}
    assert model.classifier.out_features == 2
    assert info == {"source": str(folder), "pretrained": True}
    model, processor, _ = build_model(str(folder), ("apple", "pear"), image_size=48)
    assert processor_crop_size(processor) == (48, 48)
    assert model.config.image_size == 48  # config.json must not keep the old resolution


def test_missing_local_model_folder_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="model folder not found"):
        build_model(str(tmp_path / "no" / "such" / "model"), ("a", "b"))


def test_unknown_model_id_offline_says_so_and_how_to_use_a_folder(tmp_path):
    data = make_folder(tmp_path / "data", per_class=4, classes=("red_circle", "green_square"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "edgeclass",
            "train",
            "--data",
            str(data),
            "--output",
            str(tmp_path / "out"),
            "--model",
            "no-such-org/no-such-model",
            "--no-tracking",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert completed.returncode == 3, completed.stderr[-2000:]
    assert "model error" in completed.stderr
    assert "offline" in completed.stderr
    assert "--model PATH" in completed.stderr
    assert "Traceback" not in completed.stderr
