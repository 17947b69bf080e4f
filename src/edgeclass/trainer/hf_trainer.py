"""The Hugging Face `Trainer` of a run: its arguments, optimizer, schedule, loss, collator and
callbacks (and the distillation Trainer when the run has a teacher)."""

from __future__ import annotations

import math
from typing import Any

from edgeclass.trainer.run import TrainingRun


def build_trainer(run: TrainingRun) -> Any:
    """A ready `Trainer` (or `DistillTrainer`) for `run`; moves the model to its device."""
    import torch
    from transformers import Trainer
    from transformers.trainer_callback import EarlyStoppingCallback

    from edgeclass.trainer import optimization
    from edgeclass.trainer.callbacks import EpochReporter, HeadOnlyPhase, quiet_progress
    from edgeclass.trainer.dataset import Collator

    config, hardware, sets, clock = run.config, run.hardware, run.datasets, run.clock
    assert hardware is not None and sets is not None and clock is not None
    model = run.model
    if hardware.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if hardware.device == "cuda":
        model = model.to("cuda")
    run.model = model
    callbacks: list[Any] = [
        EpochReporter(len(sets.train), run.tracker, run.print_fn),
        clock,
        *run.extra_callbacks,
    ]
    if config.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(config.early_stopping_patience))
    if config.head_epochs > 0:
        callbacks.append(HeadOnlyPhase(model, config.head_epochs))
    args = optimization.training_arguments(config, hardware, run.output / "checkpoints")
    optimizer = optimization.build_optimizer(model, config)
    scheduler = None  # Trainer builds the usual warm-up + decay schedule
    if clock.budget is not None:
        per_step = args.per_device_train_batch_size * max(1, args.world_size)
        per_step *= args.gradient_accumulation_steps
        total_steps = config.epochs * math.ceil(len(sets.train) / per_step)
        scheduler = optimization.budget_schedule(optimizer, total_steps, config, clock)
    trainer_class: Any = Trainer
    distill_options: dict[str, Any] = {}
    if run.teacher is not None:
        from edgeclass.trainer.distill import DistillTrainer

        trainer_class = DistillTrainer
        distill_options = {
            "teacher": run.teacher,
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
            run.processor,
            num_labels=model.config.num_labels,
            mixup_alpha=config.mixup_alpha,
            cutmix_alpha=config.cutmix_alpha,
            mix_prob=config.mix_prob,
        ),
        compute_metrics=optimization.compute_val_metrics,
        compute_loss_func=optimization.make_loss(config.label_smoothing),
        optimizers=(optimizer, scheduler),
        callbacks=callbacks,
        **distill_options,
    )
    quiet_progress(trainer)
    return trainer
