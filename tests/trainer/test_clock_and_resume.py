"""The training clock (--max-minutes) carried across --resume, and --resume with nothing to
resume, on real tiny trainings."""

from __future__ import annotations

import json

from trainer_data import fast_options

from edgeclass.trainer.callbacks import CLOCK_FILE
from edgeclass.trainer.config import build_config
from edgeclass.trainer.pipeline import complete_checkpoints, train

EARLIER_SESSION_S = 3000.0  # what the checkpoint says earlier sessions trained for


def test_resume_carries_the_training_clock_into_the_budget(tmp_path, image_folder, tiny_config):
    options = fast_options(tmp_path, image_folder, epochs=2, early_stopping_patience=0)
    first = train(build_config(None, options), model_config=tiny_config)
    assert first.summary.training.epochs_run == 2
    newest = complete_checkpoints(tmp_path / "run" / "checkpoints")[-1]
    clock = json.loads((newest / CLOCK_FILE).read_text())
    assert 0 < clock["elapsed_seconds"] < EARLIER_SESSION_S
    # As if the earlier sessions had trained for 50 minutes: a 50-minute budget is spent, so
    # the resumed run stops at its first step instead of training a third epoch.
    (newest / CLOCK_FILE).write_text(json.dumps({"elapsed_seconds": EARLIER_SESSION_S}))
    resumed_options = {**options, "epochs": 3, "max_minutes": EARLIER_SESSION_S / 60}
    resumed = train(
        build_config(None, {**resumed_options, "resume": True}), model_config=tiny_config
    )
    training = resumed.summary.training
    assert str(training.resumed_from) == str(newest)
    assert training.stopped_by_time_budget is True
    assert training.training_seconds >= EARLIER_SESSION_S
    steps_per_epoch = first.summary.training.global_step // 2
    assert training.global_step == 2 * steps_per_epoch + 1  # one step, then the budget stopped it


def test_resume_without_a_checkpoint_starts_afresh_and_says_so(tmp_path, image_folder, tiny_config):
    options = fast_options(tmp_path, image_folder, epochs=1, resume=True)
    printed: list[str] = []
    result = train(build_config(None, options), model_config=tiny_config, print_fn=printed.append)
    assert any(
        "--resume: no checkpoint in" in line and "starting afresh" in line for line in printed
    )
    training = result.summary.training
    assert training.resumed_from is None and training.epochs_run == 1
    assert training.training_seconds < EARLIER_SESSION_S  # a fresh clock
    assert (result.model_dir / "model.safetensors").is_file()
