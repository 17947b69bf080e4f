"""`TrainingRun`: one training's state, filled in stage by stage by `pipeline.train`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgeclass.trainer.config import TrainConfig
from edgeclass.training_summary import Distillation

if TYPE_CHECKING:
    from edgeclass.trainer.callbacks import TrainingClock
    from edgeclass.trainer.data import DataSplits
    from edgeclass.trainer.dataset import ImageDataset
    from edgeclass.trainer.hardware import Hardware
    from edgeclass.trainer.teacher import Teacher
    from edgeclass.trainer.tracking import Tracker


def print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Datasets:
    train: ImageDataset  # augmented
    val: ImageDataset
    test: ImageDataset | None
    cached: bool
    train_size: tuple[int, int]  # (height, width) of training crops


@dataclass(frozen=True)
class Evaluation:
    """The best model on the test split (val when there is none)."""

    split: str
    metrics: dict[str, Any]
    slices: dict[str, Any]
    plots: list[Path]


@dataclass
class TrainingRun:
    """What `train` knows so far. Each stage reads what earlier stages set and sets its own
    part; a field is None until its stage has run."""

    config: TrainConfig
    output: Path  # absolute
    print_fn: Callable[[str], None] = print_to_stderr
    extra_callbacks: Sequence[Any] = ()  # transformers.TrainerCallback
    started: float = field(default_factory=time.perf_counter)
    resume_from: str | None = None  # checkpoint folder
    splits: DataSplits | None = None
    model: Any = None  # transformers PreTrainedModel; the best one after `fit`
    processor: Any = None  # its image processor
    model_info: dict[str, Any] = field(default_factory=dict)  # source, pretrained
    hardware: Hardware | None = None
    teacher: Teacher | None = None
    datasets: Datasets | None = None
    tracker: Tracker | None = None
    clock: TrainingClock | None = None
    trainer: Any = None  # transformers.Trainer
    distillation: Distillation | None = None
    train_loss: float | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    evaluation: Evaluation | None = None

    def elapsed(self) -> float:
        """Wall-clock seconds since the run object was made (the start of `train`)."""
        return time.perf_counter() - self.started
