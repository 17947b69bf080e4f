"""training_summary.json as a typed artefact: `TrainingSummary`, written by the trainer and read
through `TrainingSummary.from_dict` (or `read_summary`) by every reader: the model card, quantize's
MLflow logging, recipes/device/log_device_run.py and the tests.

Standard library only (no torch, no mlflow): the trainer and quantize both import it, and a reader
needs neither extra. Reading is lenient: every section may be missing (quantize is often handed a
model folder with a partial or hand-written summary) and unknown keys are ignored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgeclass.errors import ModelError
from edgeclass.schema import dataclass_from, from_schema, read_artifact

SUMMARY_FILE = "training_summary.json"
# 1: the layout below; files written before the `schema` key existed have the same layout.
SCHEMA_VERSION = 1

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class SummaryError(ModelError):
    """A training_summary.json that is missing, not JSON, or not a summary edgeclass wrote."""


@dataclass(frozen=True, kw_only=True)
class ModelFacts:
    source: str | None = None  # hub id, local folder, or "from scratch (SIZE)"
    pretrained: bool | None = None
    architecture: str | None = None
    parameters: int | None = None
    input_size: tuple[int, ...] = ()  # (height, width) the runtime feeds
    train_input_size: tuple[int, ...] = ()  # (height, width) of training crops


@dataclass(frozen=True, kw_only=True)
class DataFacts:
    source: str | None = None
    labels: tuple[str, ...] = ()
    split_origin: str | None = None
    train: int = 0
    val: int = 0
    test: int = 0
    train_per_class: dict[str, int] = field(default_factory=dict)
    val_per_class: dict[str, int] = field(default_factory=dict)
    test_per_class: dict[str, int] = field(default_factory=dict)
    skipped_unreadable: int = 0
    duplicates_across_splits: int = 0
    cached: bool = False
    unreadable_in_training: int = 0


@dataclass(frozen=True, kw_only=True)
class TrainingFacts:
    epochs_planned: int = 0
    epochs_run: int = 0
    stopped_early: bool = False
    stopped_by_time_budget: bool = False
    training_seconds: float = 0.0
    best_checkpoint: str | None = None
    best_val_metric: dict[str, float | None] = field(default_factory=dict)
    global_step: int = 0
    train_loss: float | None = None
    train_images_per_second: float | None = None
    wall_time_seconds: float = 0.0
    resumed_from: str | None = None
    history: tuple[dict[str, float], ...] = ()  # one row per epoch


@dataclass(frozen=True, kw_only=True)
class HardwareFacts:
    device: str | None = None
    precision: str | None = None
    channels_last: bool | None = None
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class MlflowRun:
    run_id: str | None = None
    tracking_uri: str | None = None
    experiment: str | None = None


@dataclass(frozen=True, kw_only=True)
class Distillation:
    teacher: str
    teacher_label_map: str | None = None
    alpha: float
    temperature: float
    teacher_val_accuracy: float


@dataclass(frozen=True, kw_only=True)
class TrainingSummary:
    """What was trained on what, how, how well, and where it is tracked."""

    schema: int = SCHEMA_VERSION
    edgeclass_version: str | None = None
    created: str | None = None  # ISO 8601, UTC
    labels: tuple[str, ...] = ()
    model: ModelFacts = field(default_factory=ModelFacts)
    data: DataFacts = field(default_factory=DataFacts)
    evaluated_on: str | None = None  # "test", or "val" when there is no test split
    metrics: dict[str, Any] = field(default_factory=dict)  # written as `<evaluated_on>_metrics`
    worst_slice: dict[str, Any] | None = None
    training: TrainingFacts = field(default_factory=TrainingFacts)
    hardware: HardwareFacts = field(default_factory=HardwareFacts)
    seed: int | None = None
    config: dict[str, Any] = field(default_factory=dict)  # TrainConfig.to_dict()
    mlflow: MlflowRun = field(default_factory=MlflowRun)
    distillation: Distillation | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the key order training_summary.json has always had."""
        plain: dict[str, Any] = {
            "schema": self.schema,
            "edgeclass_version": self.edgeclass_version,
            "created": self.created,
            "labels": list(self.labels),
            "model": _plain(self.model),
            "data": _plain(self.data),
            "evaluated_on": self.evaluated_on,
            f"{self.evaluated_on}_metrics": self.metrics,
            "worst_slice": self.worst_slice,
            "training": _plain(self.training),
            "hardware": _plain(self.hardware),
            "seed": self.seed,
            "config": self.config,
            "mlflow": _plain(self.mlflow),
        }
        if self.distillation is not None:
            plain["distillation"] = _plain(self.distillation)
        return plain

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingSummary:
        """Any schema up to SCHEMA_VERSION, any subset of its sections; SummaryError when
        `data` is not such a summary."""
        return from_schema(
            data, _summary_from, what="training summary", newest=SCHEMA_VERSION, error=SummaryError
        )

    def with_mlflow(self, mlflow: MlflowRun) -> TrainingSummary:
        return dataclasses.replace(self, mlflow=mlflow)


def _plain(section: DataclassInstance) -> dict[str, Any]:
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in dataclasses.asdict(section).items()
    }


def _summary_from(data: Mapping[str, Any]) -> TrainingSummary:
    evaluated_on = data.get("evaluated_on")
    # Early hand-written summaries held the MLflow run at the top level.
    mlflow = data.get("mlflow", data if "run_id" in data else None)
    distillation = data.get("distillation")
    return TrainingSummary(
        schema=SCHEMA_VERSION,
        edgeclass_version=data.get("edgeclass_version"),
        created=data.get("created"),
        labels=tuple(str(label) for label in data.get("labels") or ()),
        model=dataclass_from(ModelFacts, data.get("model")),
        data=dataclass_from(DataFacts, data.get("data")),
        evaluated_on=evaluated_on,
        metrics=dict(data.get(f"{evaluated_on}_metrics") or {}),
        worst_slice=data.get("worst_slice"),
        training=dataclass_from(TrainingFacts, data.get("training")),
        hardware=dataclass_from(HardwareFacts, data.get("hardware")),
        seed=data.get("seed"),
        config=dict(data.get("config") or {}),
        mlflow=dataclass_from(MlflowRun, mlflow),
        distillation=None if distillation is None else dataclass_from(Distillation, distillation),
    )


def read_summary(model_dir: Path) -> TrainingSummary:
    """The training summary in a model folder written by `edgeclass train`."""
    return read_artifact(model_dir, SUMMARY_FILE, TrainingSummary.from_dict, SummaryError)
