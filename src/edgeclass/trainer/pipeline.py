"""`train(config)`: data -> model -> Trainer -> test report -> model folder -> MLflow.

Each stage below takes the `TrainingRun` and fills in its part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgeclass.trainer.checkpoints import complete_checkpoints, resume_point
from edgeclass.trainer.config import TrainConfig
from edgeclass.trainer.model import processor_crop_size
from edgeclass.trainer.run import Datasets, Evaluation, TrainingRun, print_to_stderr
from edgeclass.trainer.summarize import parameter_count
from edgeclass.training_summary import Distillation, TrainingSummary

__all__ = ["TrainResult", "complete_checkpoints", "train"]


@dataclass(frozen=True)
class TrainResult:
    model_dir: Path
    summary: TrainingSummary
    run_id: str | None
    tracking_uri: str | None


def train(
    config: TrainConfig,
    *,
    model_config: Any = None,
    callbacks: Sequence[Any] = (),
    print_fn: Callable[[str], None] = print_to_stderr,
) -> TrainResult:
    """Run one training described by `config`; returns where the model folder is.

    `model_config` replaces the model choice with a ready (e.g. tiny) config; `callbacks` are
    extra `transformers.TrainerCallback`s.
    """
    from transformers import set_seed

    from edgeclass.trainer.hf_trainer import build_trainer
    from edgeclass.trainer.output import write_model_folder
    from edgeclass.trainer.summarize import build_summary, log_results, print_summary

    run = TrainingRun(
        config,
        Path(str(config.output)).expanduser().resolve(),
        print_fn=print_fn,
        extra_callbacks=callbacks,
    )
    run.resume_from = resume_point(config.resume, run.output, print_fn)
    run.output.mkdir(parents=True, exist_ok=True)
    set_seed(config.seed)
    _load_data(run)
    _build_model(run, model_config)
    if config.teacher:
        _load_teacher(run)
    _build_datasets(run)
    _start_tracking(run)
    run.trainer = build_trainer(run)
    if run.teacher is not None:
        _score_teacher(run)
    _print_start(run)
    _fit(run)
    _evaluate(run)
    summary = build_summary(run)
    model_dir = write_model_folder(
        run.output / "model", run.model, run.processor, summary.to_dict()
    )
    assert run.evaluation is not None
    log_results(run.tracker, run.output, model_dir, summary, run.evaluation.plots)
    print_summary(print_fn, model_dir, summary)
    return TrainResult(model_dir, summary, summary.mlflow.run_id, summary.mlflow.tracking_uri)


def _load_data(run: TrainingRun) -> None:
    from edgeclass.trainer.data import load_data

    config = run.config
    splits = load_data(
        str(config.data),
        val_fraction=config.val_fraction,
        test_fraction=config.test_fraction,
        max_samples=config.max_samples,
        seed=config.seed,
        image_column=config.image_column,
        label_column=config.label_column,
        dataset_config=config.dataset_config,
    )
    names = ", ".join(splits.labels[:10]) + (", ..." if len(splits.labels) > 10 else "")
    run.print_fn(
        f"data: {len(splits.labels)} classes ({names}); train {len(splits.train)}, "
        f"val {len(splits.val)}, test {len(splits.test)} ({splits.split_origin})"
        + (f"; skipped {splits.skipped} unreadable" if splits.skipped else "")
    )
    run.splits = splits


def _build_model(run: TrainingRun, model_config: Any) -> None:
    from edgeclass.trainer.hardware import resolve_hardware
    from edgeclass.trainer.model import build_model

    assert run.splits is not None
    config = run.config
    run.model, run.processor, run.model_info = build_model(
        config.model,
        run.splits.labels,
        from_scratch=config.from_scratch,
        image_size=config.image_size,
        model_config=model_config,
    )
    run.hardware = resolve_hardware(config)


def _load_teacher(run: TrainingRun) -> None:
    from edgeclass.trainer.teacher import Teacher

    folder, splits = run.config.teacher, run.splits
    assert folder is not None and splits is not None
    run.teacher = Teacher(
        folder, splits.labels, run.processor.to_dict(), run.config.teacher_label_map
    )


def _build_datasets(run: TrainingRun) -> None:
    """Train (augmented) / val / test datasets; train and val decoded once into memory."""
    from edgeclass.trainer.augment import AugmentConfig, TrainTransform
    from edgeclass.trainer.dataset import DecodedCache, EvalTransform, ImageDataset, should_cache
    from edgeclass.trainer.model import processor_shortest_edge

    config, splits = run.config, run.splits
    assert splits is not None
    edge = processor_shortest_edge(run.processor)
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
        run.print_fn(f"cached {len(splits.train) + len(splits.val)} decoded images ({mb:.0f} MB)")
    train_size = (
        (config.train_image_size, config.train_image_size)
        if config.train_image_size
        else processor_crop_size(run.processor)
    )
    augment = AugmentConfig(
        size=train_size,
        crop_scale_min=config.crop_scale_min,
        hflip=config.hflip,
        rotation=config.rotation,
        color_jitter=config.color_jitter,
        randaugment_ops=config.randaugment_ops,
        randaugment_magnitude=config.randaugment_magnitude,
    )
    # Evaluation images get the processor's own resize + centre crop, like the runtime.
    evaluate = EvalTransform(run.processor)
    run.datasets = Datasets(
        train=ImageDataset(splits.train, TrainTransform(augment), train_cache, train=True),
        val=ImageDataset(splits.val, evaluate, val_cache),
        test=ImageDataset(splits.test, evaluate) if splits.test else None,
        cached=bool(cache),
        train_size=train_size,
    )


def _start_tracking(run: TrainingRun) -> None:
    """Open (or, on --resume, reopen) the MLflow run, log the parameters, start the clock."""
    from edgeclass import __version__
    from edgeclass.trainer.callbacks import TrainingClock
    from edgeclass.trainer.checkpoints import read_run_state, write_run_state
    from edgeclass.trainer.tracking import Tracker, run_params

    config, output, splits, hardware = run.config, run.output, run.splits, run.hardware
    assert splits is not None and hardware is not None
    state = read_run_state(output) if run.resume_from else {}
    tracker = Tracker(
        config.tracking,
        config.tracking_uri,
        config.experiment,
        config.run_name or output.name,
        run_id=state.get("run_id"),
    )
    write_run_state(output, tracker.run_id, tracker.tracking_uri)
    _write_config_yaml(output / "train_config.yaml", config)
    tracker.log_params(
        run_params(
            config.to_dict(),
            model_source=run.model_info["source"],
            num_parameters=parameter_count(run.model),
            images={"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
            labels=splits.labels,
            device=hardware.device,
            precision=hardware.precision,
        )
    )
    tracker.set_tags({"edgeclass.version": __version__, "hardware": hardware.description})
    run.tracker = tracker
    run.clock = TrainingClock(
        config.max_minutes * 60 if config.max_minutes else None,
        offset=TrainingClock.read_offset(run.resume_from),
    )


def _score_teacher(run: TrainingRun) -> None:
    """The teacher's accuracy on the validation split (MLflow: teacher_val_accuracy)."""
    from edgeclass.trainer.distill import TeacherMetric, teacher_accuracy

    config, teacher, tracker = run.config, run.teacher, run.tracker
    assert teacher is not None and tracker is not None
    accuracy = teacher_accuracy(teacher, run.trainer.get_eval_dataloader())
    tracker.log_metrics({"teacher_val_accuracy": accuracy}, step=0)
    run.trainer.add_callback(TeacherMetric(accuracy, tracker))
    run.print_fn(
        f"teacher: {teacher.path} ({len(teacher.labels)} classes -> {len(teacher.groups.members)}"
        f" labels, {teacher.size[0]}x{teacher.size[1]} input), val accuracy {accuracy:.4f}; "
        f"alpha {config.distill_alpha}, temperature {config.distill_temperature}"
    )
    run.distillation = Distillation(
        teacher=str(config.teacher),
        teacher_label_map=config.teacher_label_map,
        alpha=config.distill_alpha,
        temperature=config.distill_temperature,
        teacher_val_accuracy=accuracy,
    )


def _print_start(run: TrainingRun) -> None:
    assert run.datasets is not None and run.hardware is not None
    height, width = run.datasets.train_size
    input_size = "x".join(map(str, processor_crop_size(run.processor)))
    run.print_fn(
        f"model: {run.model_info['source']}, {parameter_count(run.model) / 1e6:.2f} M "
        f"parameters, input {input_size} (training crops "
        f"{height}x{width}); {run.hardware.description}; precision {run.hardware.precision}"
        + (f"; resuming from {run.resume_from}" if run.resume_from else "")
    )


def _fit(run: TrainingRun) -> None:
    """Train; afterwards `run.model` is the best checkpoint's model (Trainer loads it)."""
    from edgeclass.trainer.callbacks import history_from_log

    assert run.tracker is not None
    trainer = run.trainer
    try:
        train_output = trainer.train(resume_from_checkpoint=run.resume_from)
    except KeyboardInterrupt:
        run.tracker.finish("KILLED")
        raise
    except BaseException:
        run.tracker.finish("FAILED")
        raise
    run.train_loss = train_output.training_loss
    run.model = trainer.accelerator.unwrap_model(trainer.model)
    run.history = history_from_log(trainer.state.log_history)


def _evaluate(run: TrainingRun) -> None:
    """Best model on the test split (val when there is none): metrics, slices, plots."""
    from edgeclass.trainer.evaluate import image_facts, softmax, write_report

    sets, splits = run.datasets, run.splits
    assert sets is not None and splits is not None
    split, dataset = ("test", sets.test) if sets.test is not None else ("val", sets.val)
    prediction = run.trainer.predict(dataset, metric_key_prefix=split)
    logits = prediction.predictions
    logits = logits[0] if isinstance(logits, tuple) else logits
    facts = image_facts(sample.open for sample in dataset.samples)
    metrics, slices, plots = write_report(
        run.output / "reports",
        prediction.label_ids,
        softmax(logits),
        splits.labels,
        facts,
        run.history,
    )
    run.evaluation = Evaluation(split, metrics, slices, plots)


def _write_config_yaml(path: Path, config: TrainConfig) -> None:
    import yaml

    path.write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))
