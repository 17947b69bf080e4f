"""The training loop: Hugging Face `Trainer` with our optimizer groups, loss and callbacks.

Trainer brings AdamW + warm-up schedules, per-epoch evaluation and checkpoints, best-checkpoint
selection, early stopping, resume, AMP, `torch.compile`, and multi-GPU through `torchrun` /
`accelerate launch` with no code change.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgeclass.trainer.config import TrainConfig
from edgeclass.trainer.evaluate import classification_metrics, softmax
from edgeclass.trainer.model import head_parameter_names

log = logging.getLogger(__name__)

IMAGES_PER_SECOND_KEY = "edgeclass_images_per_second"


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


def make_loss(label_smoothing: float) -> Callable[..., Any]:
    """Cross-entropy with label smoothing; soft targets (MixUp/CutMix) are supported too."""

    def loss(outputs, labels, num_items_in_batch=None):
        import torch.nn.functional as F

        logits = outputs["logits"].float()
        if labels.dtype.is_floating_point:
            classes = logits.shape[-1]
            targets = labels * (1 - label_smoothing) + label_smoothing / classes
            return -(targets * F.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
        return F.cross_entropy(logits, labels, label_smoothing=label_smoothing)

    return loss


def compute_val_metrics(eval_prediction) -> dict[str, float]:
    logits = eval_prediction.predictions
    logits = logits[0] if isinstance(logits, tuple) else logits
    labels = np.asarray(eval_prediction.label_ids)
    classes = logits.shape[-1]
    metrics = classification_metrics(labels, softmax(logits), [str(i) for i in range(classes)])
    return {k: metrics[k] for k in ("accuracy", "f1_macro", "balanced_accuracy")}


def build_optimizer(model, config: TrainConfig):
    """AdamW; no weight decay on biases and norms; backbone LR scaled by backbone_lr_scale."""
    import torch

    head = head_parameter_names(model)
    groups = []
    for is_head in (False, True):
        scale = 1.0 if is_head else config.backbone_lr_scale
        for decay in (True, False):
            params = [
                p
                for name, p in model.named_parameters()
                if (name in head) == is_head and (p.ndim > 1) == decay
            ]
            if params:
                groups.append(
                    {
                        "params": params,
                        "lr": config.learning_rate * scale,
                        "weight_decay": config.weight_decay if decay else 0.0,
                    }
                )
    return torch.optim.AdamW(groups, lr=config.learning_rate)


def training_arguments(config: TrainConfig, hardware: Hardware, checkpoints: Path):
    import dataclasses

    from transformers import TrainingArguments

    metric = config.metric
    # transformers 5 folded warmup_ratio into warmup_steps (a float below 1 is a ratio) and
    # always saves safetensors (no save_safetensors flag); 4.x needs both spelled out.
    if "warmup_ratio" in {field.name for field in dataclasses.fields(TrainingArguments)}:
        version_specific = {"warmup_ratio": config.warmup_ratio, "save_safetensors": True}
    else:
        version_specific = {"warmup_steps": config.warmup_ratio}
    return TrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.eval_batch_size or config.batch_size * 2,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        lr_scheduler_type=config.scheduler,
        **version_specific,
        max_grad_norm=1.0,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        save_total_limit=2,  # the best and the latest
        load_best_model_at_end=True,
        metric_for_best_model=metric,
        greater_is_better=metric != "loss",
        seed=config.seed,
        data_seed=config.seed,
        bf16=hardware.precision == "bf16",
        fp16=hardware.precision == "fp16",
        use_cpu=hardware.device == "cpu",
        torch_compile=config.compile,
        dataloader_num_workers=hardware.workers,
        dataloader_persistent_workers=hardware.workers > 0,
        dataloader_pin_memory=hardware.device == "cuda",
        remove_unused_columns=False,
        label_names=["labels"],
        report_to="none",
        disable_tqdm=False,
    )


def _trainer_callback_base():
    from transformers import TrainerCallback

    return TrainerCallback


class HeadOnlyPhase(_trainer_callback_base()):
    """Two-phase fine-tuning: train only the head for the first `head_epochs` epochs."""

    def __init__(self, model, head_epochs: int) -> None:
        self.model = model
        self.head_epochs = head_epochs
        self.head = head_parameter_names(model)

    def on_epoch_begin(self, args, state, control, **kwargs):
        frozen = state.epoch is not None and state.epoch < self.head_epochs - 1e-6
        for name, parameter in self.model.named_parameters():
            if name not in self.head:
                parameter.requires_grad_(not frozen)


class EpochReporter(_trainer_callback_base()):
    """Per-epoch lines on stderr, per-epoch metrics to MLflow, images/s into the log history."""

    def __init__(self, train_size: int, tracker, print_fn: Callable[[str], None]) -> None:
        self.train_size = train_size
        self.tracker = tracker
        self.print = print_fn
        self.epoch_started = 0.0
        self.epoch_first_step = 0
        self.images_per_second: float | None = None
        self.epoch_seconds = 0.0
        self.train_loss: float | None = None

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.epoch_started = time.perf_counter()
        self.epoch_first_step = state.global_step

    def on_epoch_end(self, args, state, control, **kwargs):
        self.epoch_seconds = time.perf_counter() - self.epoch_started
        steps = state.global_step - self.epoch_first_step
        batch = args.per_device_train_batch_size * max(1, args.world_size)
        images = min(self.train_size, steps * batch * args.gradient_accumulation_steps)
        self.images_per_second = images / max(self.epoch_seconds, 1e-9)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.train_loss = float(logs["loss"])

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not state.is_world_process_zero or not metrics:
            return
        epoch = epoch_number(state.epoch)
        row: dict[str, float] = {}
        if self.train_loss is not None:
            row["train_loss"] = self.train_loss
        for key, value in metrics.items():
            if key.startswith("eval_") and isinstance(value, (int, float)):
                name = key[len("eval_") :]
                if name in ("loss", "accuracy", "f1_macro", "balanced_accuracy"):
                    row[f"val_{name}"] = float(value)
        if self.images_per_second is not None:
            row["train_images_per_second"] = self.images_per_second
            state.log_history.append(
                {"epoch": epoch, IMAGES_PER_SECOND_KEY: self.images_per_second}
            )
        self.tracker.log_metrics(row, step=epoch)
        parts = [f"epoch {epoch}/{int(args.num_train_epochs)}"]
        parts += [f"{key} {value:.4f}" for key, value in row.items() if "images" not in key]
        if self.images_per_second is not None:
            parts.append(f"{self.images_per_second:.1f} img/s ({self.epoch_seconds:.0f}s)")
        self.print("  ".join(parts))


CLOCK_FILE = "edgeclass_clock.json"


class TrainingClock(_trainer_callback_base()):
    """Seconds spent training, carried across --resume in each checkpoint.

    With a budget (--max-minutes) it stops training at the first step end past the budget; the
    epoch's evaluation and checkpoint still happen, and `budget_schedule` anneals by this clock.
    """

    def __init__(self, budget_seconds: float | None = None, offset: float = 0.0) -> None:
        self.budget = budget_seconds
        self.offset = offset
        self.started: float | None = None
        self.stopped = False

    def elapsed(self) -> float:
        if self.started is None:
            return self.offset
        return self.offset + time.perf_counter() - self.started

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if self.budget is not None and self.elapsed() >= self.budget:
            self.stopped = True
            control.should_training_stop = True

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if folder.is_dir():
            (folder / CLOCK_FILE).write_text(json.dumps({"elapsed_seconds": self.elapsed()}))

    @staticmethod
    def read_offset(checkpoint: str | None) -> float:
        if checkpoint is None:
            return 0.0
        try:
            return float(json.loads((Path(checkpoint) / CLOCK_FILE).read_text())["elapsed_seconds"])
        except (OSError, ValueError, KeyError):
            return 0.0


def budget_schedule(optimizer, total_steps: int, config: TrainConfig, clock: TrainingClock):
    """Warm-up + cosine/linear decay over whichever ends first: the steps or the time budget.

    Used with --max-minutes, so a run on a slow or busy machine still finishes its schedule
    (learning rate annealed) when the budget is spent, instead of stopping at a high rate.
    """
    from torch.optim.lr_scheduler import LambdaLR

    warmup = config.warmup_ratio

    def factor(step: int) -> float:
        progress = step / max(1, total_steps)
        if clock.budget:
            progress = max(progress, clock.elapsed() / clock.budget)
        progress = min(progress, 1.0)
        if progress < warmup:
            return progress / warmup
        rest = (progress - warmup) / max(1e-9, 1.0 - warmup)
        if config.scheduler == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * rest))
        if config.scheduler == "linear":
            return 1.0 - rest
        return 1.0

    return LambdaLR(optimizer, factor)


def epoch_number(epoch: float | None) -> int:
    """1 for the first epoch, also when it was cut short (Trainer's epoch is fractional)."""
    return max(1, math.ceil((epoch or 0.0) - 1e-6))


def history_from_log(log_history: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Per-epoch rows from Trainer's log history (which survives --resume in trainer_state.json)."""
    rows: dict[int, dict[str, float]] = {}
    for entry in log_history:
        if "epoch" not in entry:
            continue
        epoch = epoch_number(entry["epoch"])
        row = rows.setdefault(epoch, {"epoch": epoch})
        if "loss" in entry:
            row["train_loss"] = float(entry["loss"])
        if "learning_rate" in entry:
            row["learning_rate"] = float(entry["learning_rate"])
        if IMAGES_PER_SECOND_KEY in entry:
            row["train_images_per_second"] = float(entry[IMAGES_PER_SECOND_KEY])
        for key in ("loss", "accuracy", "f1_macro", "balanced_accuracy"):
            if f"eval_{key}" in entry:
                row[f"val_{key}"] = float(entry[f"eval_{key}"])
    return [rows[e] for e in sorted(rows) if len(rows[e]) > 1 and e > 0]
