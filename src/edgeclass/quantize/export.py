"""Export a trained Hugging Face image classifier to ONNX with Optimum, and prove it matches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from edgeclass.errors import ModelError
from edgeclass.quantize.options import DEFAULTS
from edgeclass.runtime.model_config import labels_from_config, read_json

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
REWRITES_FILE = "edgeclass_rewrites.json"


def read_trained_folder(model_dir: str | Path) -> dict[str, Any]:
    """The folder's config.json, after checking it is a trained model folder we can export."""
    folder = Path(model_dir)
    if not folder.is_dir():
        raise ModelError(f"model folder {folder} does not exist or is not a folder")
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise ModelError(f"{folder} is not a Hugging Face model folder: it has no config.json")
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        raise ModelError(
            f"{folder} has no trained weights ({' or '.join(WEIGHT_FILES)}); "
            "`edgeclass quantize` starts from the trainer's output folder"
        )
    if not (folder / "preprocessor_config.json").is_file():
        raise ModelError(f"{folder} has no preprocessor_config.json, so images cannot be prepared")
    config = read_json(config_path)
    labels_from_config(config, config_path)  # checked here, before any slow work
    return dict(config)


def export_onnx(
    model_dir: str | Path, out_dir: str | Path, opset: int = DEFAULTS.opset, *, rewrite: bool = True
) -> Path:
    """Optimum's exporter, task image-classification, dynamic batch axis. Returns model.onnx.

    rewrite: apply the exact MobileViT graph rewrites of `mobilevit_export` first (the files in
    `model_dir` are not changed). Which ones ran is in `applied_rewrites(out_dir)`.
    """
    from optimum.exporters.onnx import onnx_export_from_model
    from transformers import AutoModelForImageClassification

    from edgeclass.quantize.mobilevit_export import prepare_for_export

    out = Path(out_dir)
    try:
        model = AutoModelForImageClassification.from_pretrained(str(model_dir)).eval()
        rewrites = prepare_for_export(model) if rewrite else []
        onnx_export_from_model(
            model,
            output=out,
            task="image-classification",
            opset=opset,
            do_validation=False,  # we validate ourselves, on real images: export_parity
            device="cpu",
        )
    except (ValueError, KeyError, RuntimeError, OSError) as error:
        raise ModelError(f"ONNX export of {model_dir} failed: {error}") from error
    onnx_path = out / "model.onnx"
    if not onnx_path.is_file():
        raise ModelError(f"ONNX export of {model_dir} produced no model.onnx")
    (out / REWRITES_FILE).write_text(json.dumps(rewrites), encoding="utf-8")
    return onnx_path


def applied_rewrites(out_dir: str | Path) -> list[str]:
    """The graph rewrites export_onnx applied to the model it wrote into `out_dir`."""
    names = json.loads((Path(out_dir) / REWRITES_FILE).read_text(encoding="utf-8"))
    return [str(name) for name in names]


def torch_logits(model_dir: str | Path, tensors: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Logits of the PyTorch model itself (eager, fp32) for preprocessed tensors."""
    import torch
    from transformers import AutoModelForImageClassification

    model = AutoModelForImageClassification.from_pretrained(str(model_dir)).eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(tensors), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(tensors[start : start + batch_size]))
            outputs.append(model(pixel_values=batch).logits.numpy())
    return np.concatenate(outputs)


def export_parity(model_dir: str | Path, onnx_path: str | Path, tensors: np.ndarray) -> float:
    """Max absolute logit difference between PyTorch and the exported ONNX on `tensors`."""
    from edgeclass.runtime.session import logits_of

    reference = torch_logits(model_dir, tensors)
    exported = logits_of(onnx_path, tensors)
    return float(np.abs(reference - exported).max())
