"""`train(config)`: data -> model -> Trainer -> test report -> model folder -> MLflow."""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from edgeclass.errors import EdgeclassError
from edgeclass.trainer.config import TrainConfig

log = logging.getLogger(__name__)

RUN_STATE = "run_state.json"


@dataclass(frozen=True)
class TrainResult:
    model_dir: Path
    summary: dict[str, Any]
    run_id: str | None
    tracking_uri: str | None


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def complete_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints, oldest first. Trainer writes trainer_state.json last, so a run killed
    while saving leaves a checkpoint without it, which --resume must not pick."""
    if not folder.is_dir():
        return []
    done = [
        p
        for p in folder.glob("checkpoint-*")
        if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()
    ]
    return sorted(done, key=lambda p: int(p.name.split("-")[-1]))


@dataclass(frozen=True)
class Datasets:
    train: Any  # ImageDataset
    val: Any
    test: Any | None
    cached: bool
    train_size: tuple[int, int]  # (height, width) of training crops


def train(
    config: TrainConfig,
    *,
    model_config=None,
    callbacks: Sequence[Any] = (),
    print_fn: Callable[[str], None] = _stderr,
) -> TrainResult:
    """Run one training described by `config`; returns where the model folder is.

    `model_config` replaces the model choice with a ready (e.g. tiny) config; `callbacks` are
    extra `transformers.TrainerCallback`s.
    """
    from transformers import set_seed

    from edgeclass.trainer import loop
    from edgeclass.trainer.model import build_model
    from edgeclass.trainer.output import write_model_folder

    started = time.perf_counter()
    output = Path(config.output).expanduser().resolve()
    resume_from = _resume_point(config, output, print_fn)
    output.mkdir(parents=True, exist_ok=True)
    set_seed(config.seed)
    splits = _load_splits(config, print_fn)
    model, processor, model_info = build_model(
        config.model,
        splits.labels,
        from_scratch=config.from_scratch,
        image_size=config.image_size,
        model_config=model_config,
    )
    hardware = loop.resolve_hardware(config)
    teacher = _load_teacher(config, splits.labels, processor) if config.teacher else None
    sets = _datasets(config, splits, processor, print_fn)
    tracker = _start_tracking(config, output, resume_from, splits, model, model_info, hardware)
    clock = loop.TrainingClock(
        config.max_minutes * 60 if config.max_minutes else None,
        offset=loop.TrainingClock.read_offset(resume_from),
    )
    trainer = _build_trainer(
        config,
        model,
        processor,
        hardware,
        sets,
        tracker,
        clock,
        callbacks,
        output,
        print_fn,
        teacher,
    )
    distillation = _score_teacher(config, teacher, trainer, tracker, print_fn) if teacher else None
    print_fn(
        f"model: {model_info['source']}, {_parameters(model) / 1e6:.2f} M parameters, "
        f"input {'x'.join(map(str, _crop(processor)))} (training crops "
        f"{sets.train_size[0]}x{sets.train_size[1]}); {hardware.description}; "
        f"precision {hardware.precision}"
        + (f"; resuming from {resume_from}" if resume_from else "")
    )
    try:
        train_output = trainer.train(resume_from_checkpoint=resume_from)
    except KeyboardInterrupt:
        tracker.finish("KILLED")
        raise
    except BaseException:
        tracker.finish("FAILED")
        raise

    best_model = trainer.accelerator.unwrap_model(trainer.model)
    history = loop.history_from_log(trainer.state.log_history)
    split, metrics, slices, plots = _evaluate(trainer, sets, splits, history, output / "reports")
    summary = _summary(
        config=config,
        splits=splits,
        sets=sets,
        model=best_model,
        processor=processor,
        model_info=model_info,
        hardware=hardware,
        trainer=trainer,
        train_loss=train_output.training_loss,
        clock=clock,
        history=history,
        split=split,
        metrics=metrics,
        slices=slices,
        tracker=tracker,
        resume_from=resume_from,
        wall=time.perf_counter() - started,
    )
    if distillation:
        summary["distillation"] = distillation
    model_dir = write_model_folder(output / "model", best_model, processor, summary)
    log_results(tracker, output, model_dir, split, metrics, plots, summary)
    _print_summary(print_fn, model_dir, split, metrics, slices, summary)
    return TrainResult(model_dir, summary, tracker.run_id, tracker.tracking_uri)


def _resume_point(config: TrainConfig, output: Path, print_fn) -> str | None:
    """The checkpoint to resume from, or None; refuses to overwrite an earlier run's."""
    existing = complete_checkpoints(output / "checkpoints")
    if existing and not config.resume:
        raise EdgeclassError(
            f"{output} already holds checkpoints of an earlier run: pass --resume to continue it, "
            "or choose another --output"
        )
    if config.resume and not existing:
        print_fn(f"--resume: no checkpoint in {output / 'checkpoints'} yet, starting afresh")
    return str(existing[-1]) if config.resume and existing else None


def _load_splits(config: TrainConfig, print_fn):
    from edgeclass.trainer.data import load_data

    splits = load_data(
        config.data,
        val_fraction=config.val_fraction,
        test_fraction=config.test_fraction,
        max_samples=config.max_samples,
        seed=config.seed,
        image_column=config.image_column,
        label_column=config.label_column,
        dataset_config=config.dataset_config,
    )
    names = ", ".join(splits.labels[:10]) + (", ..." if len(splits.labels) > 10 else "")
    print_fn(
        f"data: {len(splits.labels)} classes ({names}); train {len(splits.train)}, "
        f"val {len(splits.val)}, test {len(splits.test)} ({splits.split_origin})"
        + (f"; skipped {splits.skipped} unreadable" if splits.skipped else "")
    )
    return splits


def _crop(processor) -> tuple[int, int]:
    from edgeclass.trainer.model import processor_crop_size

    return processor_crop_size(processor)


def _parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _datasets(config: TrainConfig, splits, processor, print_fn) -> Datasets:
    """Train (augmented) / val / test datasets; train and val decoded once into memory."""
    from edgeclass.trainer.augment import AugmentConfig, TrainTransform
    from edgeclass.trainer.dataset import DecodedCache, ImageDataset, should_cache
    from edgeclass.trainer.model import processor_shortest_edge

    edge = processor_shortest_edge(processor)
    cache = config.cache_images
    if cache is None:
        cache = should_cache(len(splits.train) + len(splits.val), edge)
    train_cache = val_cache = None
    if cache:
        train_cache = DecodedCache(splits.train, edge, "train")
        val_cache = DecodedCache(splits.val, edge, "val")
        splits.skipped += train_cache.failed + val_cache.failed
        splits.train, splits.val = train_cache.samples, val_cache.samples
        mb = (train_cache.nbytes + val_cache.nbytes) / 2**20
        print_fn(f"cached {len(splits.train) + len(splits.val)} decoded images ({mb:.0f} MB)")
    train_size = (config.train_image_size,) * 2 if config.train_image_size else _crop(processor)
    augment = AugmentConfig(
        size=train_size,
        crop_scale_min=config.crop_scale_min,
        hflip=config.hflip,
        rotation=config.rotation,
        color_jitter=config.color_jitter,
        randaugment_ops=config.randaugment_ops,
        randaugment_magnitude=config.randaugment_magnitude,
    )
    return Datasets(
        train=ImageDataset(splits.train, TrainTransform(augment), train_cache),
        val=ImageDataset(splits.val, None, val_cache),
        test=ImageDataset(splits.test) if splits.test else None,
        cached=bool(cache),
        train_size=train_size,
    )


def _start_tracking(config, output: Path, resume_from, splits, model, model_info, hardware):
    """Open (or, on --resume, reopen) the MLflow run and log the parameters."""
    from edgeclass import __version__
    from edgeclass.atomic_files import write_json_atomic
    from edgeclass.trainer.tracking import Tracker, run_params

    state = _read_run_state(output) if resume_from else {}
    tracker = Tracker(
        config.tracking,
        config.tracking_uri,
        config.experiment,
        config.run_name or output.name,
        run_id=state.get("run_id"),
    )
    write_json_atomic(
        output / RUN_STATE, {"run_id": tracker.run_id, "tracking_uri": tracker.tracking_uri}
    )
    _write_config_yaml(output / "train_config.yaml", config)
    tracker.log_params(
        run_params(
            config.to_dict(),
            model_source=model_info["source"],
            num_parameters=_parameters(model),
            images={"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
            labels=splits.labels,
            device=hardware.device,
            precision=hardware.precision,
        )
    )
    tracker.set_tags({"edgeclass.version": __version__, "hardware": hardware.description})
    return tracker


def _load_teacher(config: TrainConfig, labels, processor):
    from edgeclass.trainer.teacher import Teacher

    return Teacher(config.teacher, labels, processor.to_dict(), config.teacher_label_map)


def _score_teacher(config: TrainConfig, teacher, trainer, tracker, print_fn) -> dict[str, Any]:
    """The teacher's accuracy on the validation split (MLflow: teacher_val_accuracy)."""
    from edgeclass.trainer.distill import TeacherMetric, teacher_accuracy

    accuracy = teacher_accuracy(teacher, trainer.get_eval_dataloader())
    tracker.log_metrics({"teacher_val_accuracy": accuracy}, step=0)
    trainer.add_callback(TeacherMetric(accuracy, tracker))
    print_fn(
        f"teacher: {teacher.path} ({len(teacher.labels)} classes -> {len(teacher.groups.members)}"
        f" labels, {teacher.size[0]}x{teacher.size[1]} input), val accuracy {accuracy:.4f}; "
        f"alpha {config.distill_alpha}, temperature {config.distill_temperature}"
    )
    return {
        "teacher": str(config.teacher),
        "teacher_label_map": config.teacher_label_map,
        "alpha": config.distill_alpha,
        "temperature": config.distill_temperature,
        "teacher_val_accuracy": accuracy,
    }


def _build_trainer(
    config,
    model,
    processor,
    hardware,
    sets,
    tracker,
    clock,
    callbacks,
    output,
    print_fn,
    teacher=None,
):
    import torch
    from transformers import Trainer
    from transformers.trainer_callback import EarlyStoppingCallback

    from edgeclass.trainer import loop
    from edgeclass.trainer.dataset import Collator

    if hardware.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if hardware.device == "cuda":
        model = model.to("cuda")
    trainer_callbacks: list[Any] = [
        loop.EpochReporter(len(sets.train), tracker, print_fn),
        clock,
        *callbacks,
    ]
    if config.early_stopping_patience > 0:
        trainer_callbacks.append(EarlyStoppingCallback(config.early_stopping_patience))
    if config.head_epochs > 0:
        trainer_callbacks.append(loop.HeadOnlyPhase(model, config.head_epochs))
    num_labels = model.config.num_labels
    args = loop.training_arguments(config, hardware, output / "checkpoints")
    optimizer = loop.build_optimizer(model, config)
    scheduler = None  # Trainer builds the usual warm-up + decay schedule
    if clock.budget is not None:
        per_step = args.per_device_train_batch_size * max(1, args.world_size)
        per_step *= args.gradient_accumulation_steps
        total_steps = config.epochs * math.ceil(len(sets.train) / per_step)
        scheduler = loop.budget_schedule(optimizer, total_steps, config, clock)
    trainer_class: Any = Trainer
    distill_options: dict[str, Any] = {}
    if teacher is not None:
        from edgeclass.trainer.distill import DistillTrainer

        trainer_class = DistillTrainer
        distill_options = {
            "teacher": teacher,
            "alpha": config.distill_alpha,
            "temperature": config.distill_temperature,
            "label_smoothing": config.label_smoothing,
        }
    trainer = trainer_class(
        model=model,
        args=args,
        train_dataset=sets.train,
        eval_dataset=sets.val,
        data_collator=Collator(
            processor,
            train=True,
            num_labels=num_labels,
            mixup_alpha=config.mixup_alpha,
            cutmix_alpha=config.cutmix_alpha,
            mix_prob=config.mix_prob,
        ),
        compute_metrics=loop.compute_val_metrics,
        compute_loss_func=loop.make_loss(config.label_smoothing),
        optimizers=(optimizer, scheduler),
        callbacks=trainer_callbacks,
        **distill_options,
    )
    _quiet_progress(trainer)
    # Evaluation batches get the full image processor (resize + centre crop), like the runtime.
    eval_collator = Collator(processor, train=False, num_labels=num_labels)
    for name in ("get_eval_dataloader", "get_test_dataloader"):
        setattr(trainer, name, _with_collator(getattr(trainer, name), trainer, eval_collator))
    return trainer


def _evaluate(trainer, sets: Datasets, splits, history, report_dir: Path):
    """Best model on the test split (val when there is none): metrics, slices, plots."""
    from edgeclass.trainer.evaluate import image_facts, softmax, write_report

    split, dataset = ("test", sets.test) if sets.test is not None else ("val", sets.val)
    prediction = trainer.predict(dataset, metric_key_prefix=split)
    logits = prediction.predictions
    logits = logits[0] if isinstance(logits, tuple) else logits
    facts = image_facts(sample.open for sample in dataset.samples)
    metrics, slices, plots = write_report(
        report_dir, prediction.label_ids, softmax(logits), splits.labels, facts, history
    )
    return split, metrics, slices, plots


def _summary(
    *,
    config,
    splits,
    sets,
    model,
    processor,
    model_info,
    hardware,
    trainer,
    train_loss,
    clock,
    history,
    split,
    metrics,
    slices,
    tracker,
    resume_from,
    wall,
) -> dict[str, Any]:
    """training_summary.json: what was trained on what, how, how well, where it is tracked."""
    from edgeclass import __version__

    speeds = [row["train_images_per_second"] for row in history if "train_images_per_second" in row]
    epochs_run = max((row["epoch"] for row in history), default=0)
    unreadable = sets.train.unreadable + sets.val.unreadable
    return {
        "edgeclass_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "labels": list(splits.labels),
        "model": {
            **model_info,
            "architecture": type(model).__name__,
            "parameters": _parameters(model),
            "input_size": list(_crop(processor)),
            "train_input_size": list(sets.train_size),
        },
        "data": {**splits.summary(), "cached": sets.cached, "unreadable_in_training": unreadable},
        "evaluated_on": split,
        f"{split}_metrics": metrics,
        "worst_slice": slices["worst"],
        "training": {
            "epochs_planned": config.epochs,
            "epochs_run": epochs_run,
            "stopped_early": epochs_run < config.epochs or clock.stopped,
            "stopped_by_time_budget": clock.stopped,
            "training_seconds": round(clock.elapsed(), 1),
            "best_checkpoint": trainer.state.best_model_checkpoint,
            "best_val_metric": {config.metric: trainer.state.best_metric},
            "global_step": trainer.state.global_step,
            "train_loss": train_loss,
            "train_images_per_second": sum(speeds) / len(speeds) if speeds else None,
            "wall_time_seconds": round(wall, 1),
            "resumed_from": resume_from,
            "history": history,
        },
        "hardware": {
            "device": hardware.device,
            "precision": hardware.precision,
            "channels_last": hardware.channels_last,
            "description": hardware.description,
        },
        "seed": config.seed,
        "config": config.to_dict(),
        "mlflow": {
            "run_id": tracker.run_id,
            "tracking_uri": tracker.tracking_uri,
            "experiment": config.experiment if tracker.enabled else None,
        },
    }


def log_results(tracker, output: Path, model_dir: Path, split, metrics, plots, summary) -> None:
    """The end of a run in MLflow: final metrics, plots, report, config, model; run finished."""
    from edgeclass.trainer.tracking import flatten

    step = summary["training"]["epochs_run"]
    tracker.log_metrics(flatten(f"{split}_", metrics), step=step)
    tracker.log_metrics({"wall_time_seconds": summary["training"]["wall_time_seconds"]}, step=step)
    for plot in plots:
        tracker.log_artifact(plot, "plots")
    tracker.log_artifact(output / "reports" / "slices.md", "reports")
    tracker.log_artifact(output / "train_config.yaml", "config")
    tracker.log_artifact(model_dir, "model")
    tracker.finish()


def _quiet_progress(trainer) -> None:
    """Keep Trainer's progress bars on a terminal but drop its raw log dicts: EpochReporter
    prints epochs. Into a log file (not a terminal) the bars' carriage returns would be
    megabytes of noise, so there only the epoch lines are written."""
    from transformers.trainer_callback import ProgressCallback

    class QuietProgress(ProgressCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            pass

    if trainer.pop_callback(ProgressCallback) is not None and sys.stderr.isatty():
        trainer.add_callback(QuietProgress())


def _with_collator(original, trainer, collator):
    """Make Trainer build this evaluation dataloader with `collator` instead of the train one."""

    def build(*args, **kwargs):
        train_collator = trainer.data_collator
        trainer.data_collator = collator
        try:
            return original(*args, **kwargs)
        finally:
            trainer.data_collator = train_collator

    return build


def _read_run_state(output: Path) -> dict[str, Any]:
    try:
        return json.loads((output / RUN_STATE).read_text())
    except (OSError, ValueError):
        return {}


def _write_config_yaml(path: Path, config: TrainConfig) -> None:
    import yaml

    path.write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))


def _print_summary(print_fn, model_dir, split, metrics, slices, summary) -> None:
    training = summary["training"]
    print_fn(
        f"{split}: accuracy {metrics['accuracy']:.4f}, macro F1 {metrics['f1_macro']:.4f}, "
        f"balanced accuracy {metrics['balanced_accuracy']:.4f}, kappa {metrics['cohen_kappa']:.4f}"
        + (f", ROC AUC {metrics['roc_auc']:.4f}" if "roc_auc" in metrics else "")
    )
    worst = slices["worst"]
    if worst:
        print_fn(f"worst slice: {worst['slice']} ({worst['accuracy']:.3f} on {worst['images']})")
    speed = training["train_images_per_second"]
    print_fn(
        f"{training['epochs_run']} epochs in {training['wall_time_seconds']:.0f}s"
        + (f", {speed:.1f} train images/s" if speed else "")
    )
    if summary["mlflow"]["run_id"]:
        print_fn(f"MLflow run {summary['mlflow']['run_id']} in {summary['mlflow']['tracking_uri']}")
    print_fn(f"model folder: {model_dir}")
