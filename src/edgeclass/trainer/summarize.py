"""The end of a run: its `TrainingSummary`, the lines printed about it, and its MLflow record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from edgeclass.trainer.model import processor_crop_size
from edgeclass.trainer.run import TrainingRun
from edgeclass.training_summary import (
    DataFacts,
    HardwareFacts,
    MlflowRun,
    ModelFacts,
    TrainingFacts,
    TrainingSummary,
)


def parameter_count(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


def build_summary(run: TrainingRun) -> TrainingSummary:
    """training_summary.json: what was trained on what, how, how well, where it is tracked."""
    from edgeclass import __version__

    config, splits, sets, hardware = run.config, run.splits, run.datasets, run.hardware
    clock, tracker, evaluation, state = run.clock, run.tracker, run.evaluation, run.trainer.state
    assert splits and sets and hardware and clock and tracker and evaluation
    history = run.history
    speeds = [row["train_images_per_second"] for row in history if "train_images_per_second" in row]
    epochs_run = max((int(row["epoch"]) for row in history), default=0)
    data = {
        **splits.summary(),
        "cached": sets.cached,
        "unreadable_in_training": sets.train.unreadable + sets.val.unreadable,
    }
    return TrainingSummary(
        edgeclass_version=__version__,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        labels=tuple(splits.labels),
        model=ModelFacts(
            source=run.model_info.get("source"),
            pretrained=run.model_info.get("pretrained"),
            architecture=type(run.model).__name__,
            parameters=parameter_count(run.model),
            input_size=processor_crop_size(run.processor),
            train_input_size=sets.train_size,
        ),
        data=DataFacts(**{**data, "labels": tuple(data["labels"])}),
        evaluated_on=evaluation.split,
        metrics=evaluation.metrics,
        worst_slice=evaluation.slices["worst"],
        training=TrainingFacts(
            epochs_planned=config.epochs,
            epochs_run=epochs_run,
            stopped_early=epochs_run < config.epochs or clock.stopped,
            stopped_by_time_budget=clock.stopped,
            training_seconds=round(clock.elapsed(), 1),
            best_checkpoint=state.best_model_checkpoint,
            best_val_metric={config.metric: state.best_metric},
            global_step=state.global_step,
            train_loss=run.train_loss,
            train_images_per_second=sum(speeds) / len(speeds) if speeds else None,
            wall_time_seconds=round(run.elapsed(), 1),
            resumed_from=run.resume_from,
            history=tuple(history),
        ),
        hardware=HardwareFacts(
            device=hardware.device,
            precision=hardware.precision,
            channels_last=hardware.channels_last,
            description=hardware.description,
        ),
        seed=config.seed,
        config=config.to_dict(),
        mlflow=MlflowRun(
            run_id=tracker.run_id,
            tracking_uri=tracker.tracking_uri,
            experiment=config.experiment if tracker.enabled else None,
        ),
        distillation=run.distillation,
    )


def log_results(
    tracker: Any, output: Path, model_dir: Path, summary: TrainingSummary, plots: list[Path]
) -> None:
    """The end of a run in MLflow: final metrics, plots, report, config, model; run finished."""
    from edgeclass.trainer.tracking import flatten

    step = summary.training.epochs_run
    tracker.log_metrics(flatten(f"{summary.evaluated_on}_", summary.metrics), step=step)
    tracker.log_metrics({"wall_time_seconds": summary.training.wall_time_seconds}, step=step)
    for plot in plots:
        tracker.log_artifact(plot, "plots")
    tracker.log_artifact(output / "reports" / "slices.md", "reports")
    tracker.log_artifact(output / "train_config.yaml", "config")
    tracker.log_artifact(model_dir, "model")
    tracker.finish()


def print_summary(
    print_fn: Callable[[str], None], model_dir: Path, summary: TrainingSummary
) -> None:
    metrics, training = summary.metrics, summary.training
    print_fn(
        f"{summary.evaluated_on}: accuracy {metrics['accuracy']:.4f}, "
        f"macro F1 {metrics['f1_macro']:.4f}, "
        f"balanced accuracy {metrics['balanced_accuracy']:.4f}, kappa {metrics['cohen_kappa']:.4f}"
        + (f", ROC AUC {metrics['roc_auc']:.4f}" if "roc_auc" in metrics else "")
    )
    worst = summary.worst_slice
    if worst:
        print_fn(f"worst slice: {worst['slice']} ({worst['accuracy']:.3f} on {worst['images']})")
    speed = training.train_images_per_second
    print_fn(
        f"{training.epochs_run} epochs in {training.wall_time_seconds:.0f}s"
        + (f", {speed:.1f} train images/s" if speed else "")
    )
    if summary.mlflow.run_id:
        print_fn(f"MLflow run {summary.mlflow.run_id} in {summary.mlflow.tracking_uri}")
    print_fn(f"model folder: {model_dir}")
