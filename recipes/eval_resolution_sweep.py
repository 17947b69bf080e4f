"""Which input resolution should a trained model be run at? Measured on its validation split.

Models trained on random crops see objects bigger than the centre crop shows them at test time,
so they often score best a little above their training resolution (Touvron et al. 2019,
"FixRes"). This script evaluates a trainer model folder (fp32, PyTorch) at several centre-crop
sizes on the trainer's own seeded validation split (never the test photos), keeping the
288/256 resize-to-crop ratio the trainer uses, and prints one JSON object.

    python recipes/eval_resolution_sweep.py runs/catsdogs-default-stage4/model \
        --data ../shared/data/catsdogs --sizes 160 176 192
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from transformers import MobileViTForImageClassification

from edgeclass.runtime import Preprocessor
from edgeclass.trainer.data import load_data
from edgeclass.trainer.model import mobilevit_processor


def accuracy_at(model, images, targets, size: int, batch: int = 64) -> float:
    preprocessor = Preprocessor.from_config(mobilevit_processor(size).to_dict())
    correct = 0
    for start in range(0, len(images), batch):
        chunk = images[start : start + batch]
        pixels = torch.from_numpy(np.stack([preprocessor(image) for image in chunk]))
        with torch.no_grad():
            predicted = model(pixel_values=pixels).logits.argmax(-1)
        correct += int((predicted == torch.tensor(targets[start : start + batch])).sum())
    return correct / len(images)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path, help="a trainer model folder (model.safetensors)")
    parser.add_argument("--data", required=True, help="the data the model was trained on")
    parser.add_argument("--sizes", type=int, nargs="+", required=True, help="crop sizes to try")
    parser.add_argument("--seed", type=int, default=42, help="the training run's seed (split)")
    args = parser.parse_args(argv)

    model = MobileViTForImageClassification.from_pretrained(args.model).eval()
    val = load_data(args.data, seed=args.seed).val
    images = [sample.open() for sample in val]  # decoded once, preprocessed once per size
    targets = [sample.label for sample in val]
    results = {str(size): accuracy_at(model, images, targets, size) for size in args.sizes}
    best = max(results, key=lambda size: (results[size], -int(size)))
    json.dump(
        {"model": str(args.model), "val_images": len(val), "accuracy": results, "best": best},
        sys.stdout,
        indent=2,
    )
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
