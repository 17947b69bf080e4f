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


def _checkpoints(folder: Path) -> list[Path]:
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
    import torch
    from transformers import Trainer, set_seed
    from transformers.trainer_callback import EarlyStoppingCallback

    from edgeclass import __version__
    from edgeclass.trainer import loop
    from edgeclass.trainer.augment import AugmentConfig, TrainTransform
    from edgeclass.trainer.data import load_data
    from edgeclass.trainer.dataset import Collator, DecodedCache, ImageDataset, should_cache
    from edgeclass.trainer.model import build_model, processor_crop_size, processor_shortest_edge
    from edgeclass.trainer.output import write_json_atomic, write_model_folder
    from edgeclass.trainer.tracking import Tracker

    started = time.perf_counter()
    output = Path(config.output).expanduser().resolve()
    checkpoint_dir = output / "checkpoints"
    existing = _checkpoints(checkpoint_dir)
    if existing and not config.resume:
        raise EdgeclassError(
            f"{output} already holds checkpoints of an earlier run: pass --resume to continue it, "
            "or choose another --output"
        )
    resume_from = str(existing[-1]) if config.resume and existing else None
    if config.resume and not existing:
        print_fn(f"--resume: no checkpoint in {checkpoint_dir} yet, starting from the beginning")
    output.mkdir(parents=True, exist_ok=True)

    set_seed(config.seed)
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
    print_fn(
        f"data: {len(splits.labels)} classes ({', '.join(splits.labels[:10])}"
        f"{', ...' if len(splits.labels) > 10 else ''}); train {len(splits.train)}, "
        f"val {len(splits.val)}, test {len(splits.test)} ({splits.split_origin})"
        + (f"; skipped {splits.skipped} unreadable" if splits.skipped else "")
    )
    model, processor, model_info = build_model(
        config.model,
        splits.labels,
        from_scratch=config.from_scratch,
        image_size=config.image_size,
        model_config=model_config,
    )
    hardware = loop.resolve_hardware(config)
    crop = processor_crop_size(processor)
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

    train_size = (config.train_image_size,) * 2 if config.train_image_size else crop
    augment = AugmentConfig(
        size=train_size,
        crop_scale_min=config.crop_scale_min,
        hflip=config.hflip,
        rotation=config.rotation,
        color_jitter=config.color_jitter,
        randaugment_ops=config.randaugment_ops,
        randaugment_magnitude=config.randaugment_magnitude,
    )
    train_set = ImageDataset(splits.train, TrainTransform(augment), train_cache)
    val_set = ImageDataset(splits.val, None, val_cache)
    test_set = ImageDataset(splits.test) if splits.test else None

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
    num_parameters = sum(p.numel() for p in model.parameters())
    tracker.log_params(
        {
            **{k: v for k, v in config.to_dict().items() if v is not None},
            "model_source": model_info["source"],
            "num_parameters": num_parameters,
            "train_images": len(splits.train),
            "val_images": len(splits.val),
            "test_images": len(splits.test),
            "labels": ",".join(splits.labels),
            "device": hardware.device,
            "precision": hardware.precision,
        }
    )
    tracker.set_tags({"edgeclass.version": __version__, "hardware": hardware.description})

    if hardware.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if hardware.device == "cuda":
        model = model.to("cuda")
    reporter = loop.EpochReporter(len(train_set), tracker, print_fn)
    trainer_callbacks: list[Any] = [reporter, *callbacks]
    if config.early_stopping_patience > 0:
        trainer_callbacks.append(EarlyStoppingCallback(config.early_stopping_patience))
    clock = loop.TrainingClock(
        config.max_minutes * 60 if config.max_minutes else None,
        offset=loop.TrainingClock.read_offset(resume_from),
    )
    trainer_callbacks.append(clock)
    if config.head_epochs > 0:
        trainer_callbacks.append(loop.HeadOnlyPhase(model, config.head_epochs))
    num_labels = len(splits.labels)
    args = loop.training_arguments(config, hardware, checkpoint_dir)
    optimizer = loop.build_optimizer(model, config)
    scheduler = None
    if clock.budget is not None:
        per_step = args.per_device_train_batch_size * max(1, args.world_size)
        per_step *= args.gradient_accumulation_steps
        total_steps = config.epochs * math.ceil(len(train_set) / per_step)
        scheduler = loop.budget_schedule(optimizer, total_steps, config, clock)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=val_set,
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
    )
    # Evaluation batches get the full image processor (resize + centre crop), like the runtime.
    eval_collator = Collator(processor, train=False, num_labels=num_labels)
    _quiet_progress(trainer)
    trainer.get_eval_dataloader = _with_collator(
        trainer.get_eval_dataloader, trainer, eval_collator
    )
    trainer.get_test_dataloader = _with_collator(
        trainer.get_test_dataloader, trainer, eval_collator
    )

    print_fn(
        f"model: {model_info['source']}, {num_parameters / 1e6:.2f} M parameters, "
        f"input {crop[0]}x{crop[1]} (training crops {train_size[0]}x{train_size[1]}); "
        f"{hardware.description}; precision {hardware.precision}"
        + (f"; resuming from {resume_from}" if resume_from else "")
    )
    try:
        train_output = trainer.train(resume_from_checkpoint=resume_from)
    except BaseException:
        tracker.finish("KILLED" if not resume_from else "FAILED")
        raise

    best_model = trainer.accelerator.unwrap_model(trainer.model)
    history = loop.history_from_log(trainer.state.log_history)
    eval_split, eval_set = ("test", test_set) if test_set is not None else ("val", val_set)
    prediction = trainer.predict(eval_set, metric_key_prefix=eval_split)
    logits = (
        prediction.predictions[0]
        if isinstance(prediction.predictions, tuple)
        else (prediction.predictions)
    )
    from edgeclass.trainer.evaluate import image_facts, softmax, write_report

    facts = image_facts(sample.open for sample in eval_set.samples)
    report_dir = output / "reports"
    test_metrics, slices, plots = write_report(
        report_dir, prediction.label_ids, softmax(logits), splits.labels, facts, history
    )
    wall = time.perf_counter() - started
    speeds = [row["train_images_per_second"] for row in history if "train_images_per_second" in row]
    epochs_run = max((row["epoch"] for row in history), default=0)
    summary = {
        "edgeclass_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "labels": list(splits.labels),
        "model": {
            **model_info,
            "architecture": type(best_model).__name__,
            "parameters": num_parameters,
            "input_size": list(crop),
        },
        "data": {**splits.summary(), "cached": bool(cache)},
        "evaluated_on": eval_split,
        "test_metrics" if eval_split == "test" else "val_metrics": test_metrics,
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
            "train_loss": train_output.training_loss,
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
    model_dir = write_model_folder(output / "model", best_model, processor, summary)
    from edgeclass.trainer.tracking import flatten

    tracker.log_metrics(flatten(f"{eval_split}_", test_metrics), step=epochs_run)
    tracker.log_metrics({"wall_time_seconds": wall}, step=epochs_run)
    for plot in plots:
        tracker.log_artifact(plot, "plots")
    tracker.log_artifact(report_dir / "slices.md", "reports")
    tracker.log_artifact(output / "train_config.yaml", "config")
    tracker.log_artifact(model_dir, "model")
    tracker.finish()
    _print_summary(print_fn, model_dir, eval_split, test_metrics, slices, summary)
    return TrainResult(model_dir, summary, tracker.run_id, tracker.tracking_uri)


def _quiet_progress(trainer) -> None:
    """Keep Trainer's progress bars but drop its raw log dicts: EpochReporter prints epochs."""
    from transformers.trainer_callback import ProgressCallback

    class QuietProgress(ProgressCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            pass

    if trainer.pop_callback(ProgressCallback) is not None:
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
