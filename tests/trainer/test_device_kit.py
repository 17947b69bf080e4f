"""recipes/device/: pack photos for the lent GPU machine, train there, log the run back here.

The GPU itself is not here: the device script runs on this CPU with a tiny model, through the
same files and steps (packed WebP photos in, a split tar in $OUT, MLflow logging here).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from PIL import Image
from process_io import finish
from trainer_data import make_folder

from edgeclass.training_summary import read_summary

REPO = Path(__file__).resolve().parents[2]
DEVICE = REPO / "recipes" / "device"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, DEVICE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("device")
    photos = make_folder(root / "photos", per_class=10)
    packed = root / "packed"
    assert _script("pack_photos").main([str(photos), str(packed / "train"), "--edge", "40"]) == 0
    return packed


def test_packing_keeps_every_photo_and_label_as_square_webp(packed, capsys):
    sources = sorted(
        p.relative_to(packed.parent / "photos") for p in (packed.parent / "photos").rglob("*.*")
    )
    out = sorted((packed / "train").rglob("*"))
    photos = [p for p in out if p.is_file()]
    assert len(photos) == len(sources) == 30
    assert {p.parent.name for p in photos} == {s.parts[0] for s in sources}
    assert {p.stem for p in photos} == {s.stem for s in sources}
    for photo in photos[:5]:
        with Image.open(photo) as image:
            assert image.format == "WEBP" and image.size == (40, 40)
    assert not list((packed / "train").rglob("*.part"))
    # a second run adds nothing and rewrites nothing
    before = {p: p.stat().st_mtime_ns for p in photos}
    _script("pack_photos").main([str(packed.parent / "photos"), str(packed / "train")])
    assert {p: p.stat().st_mtime_ns for p in photos} == before
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["photos"] == 30


TINY = ["--from-scratch", "xx-small", "--image-size", "32", "--train-image-size", "32"]
TINY += ["--batch-size", "8", "--workers", "0"]


def _device_script(packed: Path, tmp_path: Path, *flags: str, **env_extra: str):
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "OUT": str(out), "PYTHON": sys.executable, "DATA": str(packed)}
    env.update(RUN=str(tmp_path / "device-run"), **env_extra)
    done = subprocess.run(
        ["bash", str(DEVICE / "train_on_device.sh"), *TINY, *flags],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done, out


def test_device_run_comes_back_as_a_logged_mlflow_run(packed, tmp_path):
    done, out = _device_script(packed, tmp_path, "--epochs", "2", "--max-minutes", "5")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["run.tar.part-aa", "train.log"]
    assert "epoch 2/2" in (out / "train.log").read_text()

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    dest = tmp_path / "logged"
    log = _script("log_device_run")
    assert log.main([str(out), str(dest), "--tracking-uri", store, "--run-name", "gpu"]) == 0
    summary = read_summary(dest / "model")
    run_id = summary.mlflow.run_id

    from mlflow.tracking import MlflowClient

    client = MlflowClient(store)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "gpu"
    assert run.data.params["from_scratch"] == "xx-small"
    assert run.data.params["train_images"] == str(summary.data.train)
    assert [m.step for m in client.get_metric_history(run_id, "val_loss")] == [1, 2]
    assert summary.evaluated_on == "val"
    assert run.data.metrics["val_accuracy"] == pytest.approx(summary.metrics["accuracy"])
    assert {a.path for a in client.list_artifacts(run_id)} >= {"model", "plots", "config"}
    # a second unpack into the same place is refused: nothing is overwritten
    with pytest.raises(SystemExit):
        log.main([str(out), str(dest), "--tracking-uri", store])


def _pids_in_session(session: int, name: str) -> list[int]:
    """Processes called `name` in session `session` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()  # state, ppid, pgrp, session, ...
        if comm == name and int(fields[3]) == session:
            found.append(int(stat.parent.name))
    return found


def test_a_run_cut_short_still_brings_back_its_newest_checkpoint(packed, tmp_path):
    # LIMIT_S stops training with Ctrl+C before the device tool would kill it and return nothing.
    # Its clock starts before torch is even imported, so rather than a short limit (which a
    # loaded machine spends importing) the limit is made to expire (SIGALRM to `timeout`, as
    # its own timer does) once the first checkpoint is complete.
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "OUT": str(out), "PYTHON": sys.executable, "DATA": str(packed)}
    env.update(RUN=str(tmp_path / "device-run"), LIMIT_S="600")
    proc = subprocess.Popen(
        ["bash", str(DEVICE / "train_on_device.sh"), *TINY, "--epochs", "100000"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        checkpoints = tmp_path / "device-run" / "checkpoints"
        deadline = time.monotonic() + 400
        while not list(checkpoints.glob("checkpoint-*/trainer_state.json")):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("no checkpoint was written")
            time.sleep(0.2)
        [limit] = _pids_in_session(proc.pid, "timeout")
        os.kill(limit, signal.SIGALRM)
        stdout, _ = finish(proc, 300)
    finally:  # whatever happened, nothing of the run is left behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode != 0, stdout[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.tar.part-aa", "train.log"]
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    with tarfile.open(out / "checkpoint.tar.part-aa") as archive:
        archive.extractall(folder, filter="data")
    names = {"config.json", "model.safetensors", "preprocessor_config.json", "trainer_state.json"}
    assert {p.name for p in folder.iterdir()} == names  # no optimizer state, nothing pickled

    from transformers import AutoImageProcessor, MobileViTForImageClassification

    model = MobileViTForImageClassification.from_pretrained(folder)
    assert model.config.id2label == {0: "blue_stripes", 1: "green_square", 2: "red_circle"}
    assert AutoImageProcessor.from_pretrained(folder).crop_size == {"height": 32, "width": 32}
