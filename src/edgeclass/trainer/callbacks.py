"""Trainer callbacks: per-epoch reporting, the training clock (time budget), head-only epochs,
quiet progress bars; and the per-epoch history read back from Trainer's log."""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback
from transformers.trainer_callback import ProgressCallback

from edgeclass.trainer.model import head_parameter_names

IMAGES_PER_SECOND_KEY = "edgeclass_images_per_second"


class HeadOnlyPhase(TrainerCallback):
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


class EpochReporter(TrainerCallback):
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


class TrainingClock(TrainerCallback):
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


class QuietProgress(ProgressCallback):
    """Trainer's progress bar without its raw log dicts (EpochReporter prints the epochs)."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        pass


def quiet_progress(trainer) -> None:
    """Keep Trainer's progress bars on a terminal but drop its raw log dicts. Into a log file
    (not a terminal) the bars' carriage returns would be megabytes of noise, so there only the
    epoch lines are written."""
    if trainer.pop_callback(ProgressCallback) is not None and sys.stderr.isatty():
        trainer.add_callback(QuietProgress())
