"""Small real ONNX teacher folders for distillation tests (torch exports, onnxruntime runs)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

# Outputs 0, 1, 2 score the red, green and blue channels: the toy classes of trainer_data.
COLOUR_LABELS = ("red_circle", "green_square", "blue_stripes")
TEACHER_SIZE = 24


def write_colour_teacher(
    folder: Path,
    labels: tuple[str, ...] = COLOUR_LABELS,
    extra_outputs: int = 0,
) -> Path:
    """A "perfect" teacher for the toy classes: each logit is how much one channel outweighs the
    others on average. Its pixel convention differs from MobileViT's on purpose (RGB, (x-127)/128,
    24x24 bicubic instead of BGR, x/255, 32x32), so a wrong conversion shows.

    `extra_outputs` adds constant logits, to build a teacher whose model.onnx and config.json
    disagree on the number of classes.
    """
    import torch

    class ColourTeacher(torch.nn.Module):
        def forward(self, pixel_values):
            means = pixel_values.mean(dim=(2, 3))
            logits = 20.0 * (means - means.mean(dim=1, keepdim=True))
            if extra_outputs:
                logits = torch.cat([logits, torch.zeros_like(logits[:, :extra_outputs])], dim=1)
            return logits

    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # the legacy exporter's deprecation notices
        warnings.simplefilter("ignore", DeprecationWarning)
        _export(ColourTeacher(), folder / "model.onnx")
    config = {"id2label": {str(i): name for i, name in enumerate(labels)}}
    (folder / "config.json").write_text(json.dumps(config))
    preprocessor = {
        "do_resize": True,
        "size": {"shortest_edge": TEACHER_SIZE + 3},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": TEACHER_SIZE, "width": TEACHER_SIZE},
        "do_rescale": False,
        "do_normalize": True,
        "image_mean": [127.0, 127.0, 127.0],
        "image_std": [128.0, 128.0, 128.0],
    }
    (folder / "preprocessor_config.json").write_text(json.dumps(preprocessor))
    return folder


def _export(model, path: Path) -> None:
    import torch

    torch.onnx.export(
        model,
        (torch.zeros(1, 3, TEACHER_SIZE, TEACHER_SIZE),),
        str(path),
        input_names=["pixel_values"],
        output_names=["logits"],
        dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
