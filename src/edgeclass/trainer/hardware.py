"""The machine a training runs on: device, autocast precision, memory format, loader workers."""

from __future__ import annotations

from dataclasses import dataclass

from edgeclass.trainer.config import TrainConfig


@dataclass(frozen=True)
class Hardware:
    device: str  # "cpu" or "cuda"
    precision: str  # "no", "bf16" or "fp16"
    channels_last: bool
    workers: int
    description: str


def resolve_hardware(config: TrainConfig) -> Hardware:
    import os
    import platform

    import torch

    cuda = torch.cuda.is_available() and config.device != "cpu"
    if config.device == "cuda" and not torch.cuda.is_available():
        from edgeclass.errors import EdgeclassError

        raise EdgeclassError("--device cuda was asked for, but torch sees no CUDA GPU")
    precision = config.precision
    if precision == "auto" and cuda:
        precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    elif precision == "auto":
        # bench/train_speed.py: bf16 autocast ran MobileViT training steps at 0.6x the speed of
        # fp32 even on an AMX CPU, and channels-last gained nothing there.
        precision = "no"
    channels_last = cuda if config.channels_last is None else config.channels_last
    workers = config.workers
    if workers is None:
        workers = min(8, os.cpu_count() or 1) if cuda else 0
    if cuda:
        description = f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
    else:
        description = f"CPU {platform.processor() or platform.machine()}, "
        description += f"{torch.get_num_threads()} torch threads, {os.cpu_count()} cores"
    return Hardware("cuda" if cuda else "cpu", precision, channels_last, workers, description)
