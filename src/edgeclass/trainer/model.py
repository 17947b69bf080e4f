"""Build the model and its image processor: a hub id, a local HF folder, or from scratch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgeclass.errors import ModelError

# Hidden sizes of Apple's released checkpoints (apple/mobilevit-xx-small, -x-small, -small),
# as in the MobileViT paper (Mehta & Rastegari, 2022, table 4).
SCRATCH_CONFIGS: dict[str, dict[str, Any]] = {
    "xx-small": {
        "hidden_sizes": [64, 80, 96],
        "neck_hidden_sizes": [16, 16, 24, 48, 64, 80, 320],
        "expand_ratio": 2.0,
    },
    "x-small": {
        "hidden_sizes": [96, 120, 144],
        "neck_hidden_sizes": [16, 32, 48, 64, 80, 96, 384],
    },
    "small": {
        "hidden_sizes": [144, 192, 240],
        "neck_hidden_sizes": [16, 32, 64, 96, 128, 160, 640],
    },
}
# Apple's processors resize the shortest edge to 288 and centre-crop 256: keep that ratio.
RESIZE_RATIO = 288 / 256


def scratch_config(size: str, image_size: int, labels: tuple[str, ...]):
    from transformers import MobileViTConfig

    if size not in SCRATCH_CONFIGS:
        raise ModelError(f"unknown --from-scratch size '{size}': use {', '.join(SCRATCH_CONFIGS)}")
    return MobileViTConfig(image_size=image_size, **SCRATCH_CONFIGS[size], **label_maps(labels))


def label_maps(labels: tuple[str, ...]) -> dict[str, Any]:
    return {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
    }


def mobilevit_processor(image_size: int):
    from transformers import MobileViTImageProcessor

    return MobileViTImageProcessor(
        size={"shortest_edge": round(image_size * RESIZE_RATIO)},
        crop_size={"height": image_size, "width": image_size},
        resample=2,  # bilinear: transformers 4's default, which 5 changed to bicubic
    )


def build_model(
    model: str,
    labels: tuple[str, ...],
    *,
    from_scratch: str | None = None,
    image_size: int | None = None,
    model_config=None,
):
    """Return (model, image_processor, description dict).

    `model_config` (a ready `PretrainedConfig`) builds a random model of that shape; tests use it
    for tiny models. Otherwise `from_scratch` picks a MobileViT size, or `model` is loaded with
    its classification head replaced for `labels`.
    """
    from transformers import MobileViTForImageClassification

    if model_config is not None or from_scratch is not None:
        if model_config is None:
            model_config = scratch_config(from_scratch, image_size or 256, labels)
        else:
            model_config.update(label_maps(labels))
            if image_size is not None:
                model_config.image_size = image_size
        size = image_size or model_config.image_size
        net = init_from_scratch(MobileViTForImageClassification(model_config))
        info = {"source": f"from scratch ({from_scratch or 'custom config'})", "pretrained": False}
        return net, mobilevit_processor(size), info
    net, processor = _load_pretrained(model, labels)
    if image_size is not None:
        _resize_processor(processor, image_size)
        if hasattr(net.config, "image_size"):
            net.config.image_size = image_size  # the saved config.json then tells the truth
    return net, processor, {"source": model, "pretrained": True}


def init_from_scratch(model):
    """Apple's CVNets initialisation: Kaiming-normal (fan-out) convolutions, truncated-normal
    (std 0.02) linear layers, zero biases.

    Transformers' default (normal, std 0.02, for convolutions too) makes the weights in front of
    every BatchNorm tiny; their effective learning rate is then huge, and a MobileViT trained
    from it sat at chance level for a whole epoch of cats vs dogs, where this init learns at once.
    """
    import torch

    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, torch.nn.Linear):
            torch.nn.init.trunc_normal_(module.weight, std=0.02)
        else:
            continue
        if module.bias is not None:
            torch.nn.init.zeros_(module.bias)
    return model


def _load_pretrained(model: str, labels: tuple[str, ...]):
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    path = Path(model).expanduser()
    local = path.is_dir()
    if not local and (model.startswith((".", "/", "~")) or model.count("/") > 1):
        raise ModelError(f"model folder not found: {path}")
    try:
        net = AutoModelForImageClassification.from_pretrained(
            str(path) if local else model, ignore_mismatched_sizes=True, **label_maps(labels)
        )
        processor = AutoImageProcessor.from_pretrained(
            str(path) if local else model, use_fast=False
        )
    except (OSError, ValueError) as error:
        if local:
            raise ModelError(f"cannot load the model folder {path}: {error}") from error
        raise ModelError(
            f"cannot load model '{model}': it is not a local folder, and it could not be fetched "
            "from the Hugging Face hub (offline, or no such model id). Pass a local model folder "
            "(one with config.json and model.safetensors) with --model PATH, or train without "
            "pretrained weights with --from-scratch xx-small|x-small|small."
        ) from error
    return net, processor


def _resize_processor(processor, image_size: int) -> None:
    """Train and run at `image_size` instead of the checkpoint's resolution."""
    if hasattr(processor, "crop_size") and processor.crop_size:
        processor.crop_size = {"height": image_size, "width": image_size}
        processor.size = {"shortest_edge": round(image_size * RESIZE_RATIO)}
    else:
        processor.size = {"height": image_size, "width": image_size}


def processor_crop_size(processor) -> tuple[int, int]:
    """(height, width) of the tensors the processor produces."""
    crop = (
        getattr(processor, "crop_size", None)
        if getattr(processor, "do_center_crop", False)
        else None
    )
    size = crop or processor.size
    if "height" in size:
        return int(size["height"]), int(size["width"])
    edge = int(size.get("shortest_edge", 224))
    return edge, edge


def processor_shortest_edge(processor) -> int:
    size = processor.size
    if "shortest_edge" in size:
        return int(size["shortest_edge"])
    return int(min(size.get("height", 224), size.get("width", 224)))


def head_parameter_names(model) -> set[str]:
    """Names of the classification head's parameters (`classifier.*` in HF image models)."""
    return {name for name, _ in model.named_parameters() if name.startswith("classifier")}
