"""What the Trainer optimises: the loss, AdamW's parameter groups, the learning-rate schedule
under a time budget, the TrainingArguments, and the validation metrics that pick the best epoch.

Hugging Face `Trainer` brings AdamW + warm-up schedules, per-epoch evaluation and checkpoints,
best-checkpoint selection, early stopping, resume, AMP, `torch.compile`, and multi-GPU through
`torchrun` / `accelerate launch` with no code change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgeclass.trainer.callbacks import TrainingClock
from edgeclass.trainer.config import TrainConfig
from edgeclass.trainer.evaluate import classification_metrics, softmax
from edgeclass.trainer.hardware import Hardware
from edgeclass.trainer.model import head_parameter_names


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
