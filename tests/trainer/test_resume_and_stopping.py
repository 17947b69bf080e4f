"""Interrupted runs resume from their last checkpoint; early stopping and time budgets stop."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from trainer_data import fast_options, make_folder

from edgeclass.cli.main import main
from edgeclass.trainer.config import build_config
from edgeclass.trainer.pipeline import complete_checkpoints, train
from edgeclass.training_summary import read_summary


def save_tiny_model(folder: Path, config) -> Path:
    """A local HF model folder (random tiny MobileViT, labels cat/dog/bird) to fine-tune."""
    from transformers import MobileViTForImageClassification, MobileViTImageProcessor

    MobileViTForImageClassification(config).save_pretrained(folder)
    MobileViTImageProcessor(
        size={"shortest_edge": 36}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(folder)
    return folder


def cli_args(options: dict) -> list[str]:
    args = ["train"]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    return args


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_checkpoint_cut_short_while_saving_is_passed_over(tmp_path):
    # Trainer writes trainer_state.json last: a folder without it was interrupted mid-save
    for step, files in [
        (5, ["model.safetensors", "trainer_state.json"]),
        (9, ["trainer_state.json"]),
        (12, ["config.json", "model.safetensors"]),
        (40, []),
    ]:
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        for name in files:
            (folder / name).write_text("{}")
    (tmp_path / "checkpoint-tmp").mkdir()
    assert [p.name for p in complete_checkpoints(tmp_path)] == ["checkpoint-5", "checkpoint-9"]
    assert complete_checkpoints(tmp_path / "missing") == []


@pytest.mark.slow
def test_resume_after_the_process_is_killed_mid_run(tmp_path, tiny_config, capfd):
    data = make_folder(tmp_path / "data", per_class=30)
    tiny_model = save_tiny_model(tmp_path / "tiny_model", tiny_config)
    options = fast_options(
        tmp_path,
        data,
        model=tiny_model,
        epochs=6,
        batch_size=4,
        early_stopping_patience=0,
        workers=0,
    )
    options.pop("image_size")  # the local model folder's processor decides: 32x32
    output = Path(options["output"])
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1"}
    log = (tmp_path / "first.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "edgeclass", *cli_args(options)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        first = output / "checkpoints" / "checkpoint-18"  # 72 training images / batch 4
        assert wait_for(lambda: (first / "trainer_state.json").is_file(), 240), (
            tmp_path / "first.log"
        ).read_text()[-3000:]
        # The first epoch's checkpoint is complete: the run is in its second epoch.
        assert process.poll() is None, "the run ended before it could be interrupted"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    assert process.returncode == -signal.SIGKILL
    assert not (output / "model").exists()  # a killed run leaves no model folder behind
    # Into a log file (not a terminal): the epoch lines, without progress bars' carriage returns
    first_log = (tmp_path / "first.log").read_bytes()  # bytes: read_text() would hide \r
    assert b"epoch 1/6  train_loss" in first_log and b"\r" not in first_log
    killed_run_id = json.loads((output / "run_state.json").read_text())["run_id"]
    newest = complete_checkpoints(output / "checkpoints")[-1]  # checkpoint-18, or later
    epochs_done = int(newest.name.removeprefix("checkpoint-")) // 18
    assert 1 <= epochs_done < 6, newest

    capfd.readouterr()
    assert main([*cli_args(options), "--resume"]) == 0
    # The resumed run trains only the epochs after its checkpoint, not the whole run again.
    printed = re.findall(r"^epoch (\d+)/6 ", capfd.readouterr().err, re.MULTILINE)
    assert [int(epoch) for epoch in printed] == list(range(epochs_done + 1, 7))
    summary = read_summary(output / "model")
    training = summary.training
    assert Path(str(training.resumed_from)) == newest
    assert training.global_step == 6 * 18
    assert training.epochs_run == 6
    assert [row["epoch"] for row in training.history] == [1, 2, 3, 4, 5, 6]
    assert summary.mlflow.run_id == killed_run_id  # the same MLflow run continues

    from mlflow.tracking import MlflowClient

    client = MlflowClient(summary.mlflow.tracking_uri)
    run = client.get_run(killed_run_id)
    assert run.info.status == "FINISHED"
    steps = {m.step for m in client.get_metric_history(killed_run_id, "val_accuracy")}
    assert steps == {1, 2, 3, 4, 5, 6}


def test_early_stopping_stops_when_the_metric_stalls(tmp_path, image_folder, tiny_config):
    # A zero learning rate cannot improve validation accuracy: patience 1 ends epoch 2.
    options = fast_options(
        tmp_path, image_folder, epochs=10, learning_rate=0.0, early_stopping_patience=1
    )
    result = train(build_config(None, options), model_config=tiny_config)
    training = result.summary.training
    assert training.epochs_run == 2
    assert training.stopped_early is True
    assert training.global_step == 2 * 5  # 36 training images / batch 8 -> 5 steps


def test_time_budget_stops_the_run_and_keeps_a_model(tmp_path, image_folder, tiny_config):
    options = fast_options(
        tmp_path, image_folder, epochs=500, max_minutes=0.05, early_stopping_patience=0
    )
    result = train(build_config(None, options), model_config=tiny_config)
    training = result.summary.training
    assert training.stopped_by_time_budget is True
    assert training.epochs_run < 500
    assert training.training_seconds >= 3.0
    assert (result.model_dir / "model.safetensors").is_file()


def test_two_phase_fine_tuning_freezes_the_backbone_first(tmp_path, image_folder, tiny_config):
    """--head-epochs 1: epoch 1 moves only the head; epoch 2 moves everything, the backbone at
    --backbone-lr-scale times the learning rate."""
    import torch
    from transformers import TrainerCallback

    snapshots: list[dict[str, torch.Tensor]] = []
    group_lrs: list[float] = []

    class Snapshot(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, optimizer=None, **kwargs):
            snapshots.append({k: v.detach().clone() for k, v in model.named_parameters()})
            group_lrs.extend(group["lr"] for group in optimizer.param_groups)

        def on_epoch_end(self, args, state, control, model=None, **kwargs):
            snapshots.append({k: v.detach().clone() for k, v in model.named_parameters()})

    options = fast_options(
        tmp_path,
        image_folder,
        epochs=2,
        head_epochs=1,
        backbone_lr_scale=0.1,
        warmup_ratio=0.0,
        scheduler="constant",
        early_stopping_patience=0,
    )
    train(build_config(None, options), model_config=tiny_config, callbacks=[Snapshot()])
    start, after_head, after_all = snapshots

    def moved(a, b, head: bool) -> bool:
        names = [n for n in a if n.startswith("classifier") == head]
        return any(not torch.equal(a[n], b[n]) for n in names)

    assert moved(start, after_head, head=True)
    assert not moved(start, after_head, head=False)  # backbone frozen in the head phase
    assert moved(after_head, after_all, head=False)
    assert sorted(set(group_lrs)) == pytest.approx([3e-4, 3e-3])  # backbone 0.1x, head 1x
