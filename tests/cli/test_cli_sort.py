"""`edgeclass sort` and `sort --undo` as subprocesses on real files, hashes checked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_tools import coloured, run_edgeclass
from process_io import signals_as_from_a_terminal
from sort_checks import assert_consistent, hashes, read_only, sha
from tiny_onnx_models import colour_model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return colour_model(tmp_path_factory.mktemp("colour"))


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    for i in range(3):
        coloured(folder / f"red{i}.png", "red", seed=i)
    coloured(folder / "green0.png", "green", seed=5)
    coloured(folder / "blue0.png", "blue", seed=6)
    (folder / "broken.png").write_text("not an image")
    return folder


def test_copy_then_undo(tmp_path, photos, model):
    before = hashes(photos)
    dest = tmp_path / "sorted"
    proc = run_edgeclass("sort", photos, "--into", dest, "-m", model, "-f", "json")
    assert proc.returncode == 1, proc.stderr  # broken.png could not be classified
    out = json.loads(proc.stdout)
    assert out["counts"] == {"red": 3, "blue": 1, "green": 1}
    assert [f["path"] for f in out["failures"]] == [str(photos / "broken.png")]
    assert hashes(photos) == before  # copies: the originals stay
    assert {p.name: sha(p) for p in (dest / "red").iterdir()} == {
        f"red{i}.png": before[f"red{i}.png"] for i in range(3)
    }
    assert sha(dest / "green" / "green0.png") == before["green0.png"]
    assert not list(dest.rglob("broken.png"))
    undo = run_edgeclass("sort", "--undo", out["journal"], "-f", "json")
    assert undo.returncode == 0, undo.stderr
    assert json.loads(undo.stdout)["restored"] == 5
    assert sorted(p.name for p in dest.iterdir()) == [Path(out["journal"]).name]
    assert hashes(photos) == before


def test_move_then_undo_restores_every_byte(tmp_path, photos, model):
    before = hashes(photos)
    dest = tmp_path / "sorted"
    proc = run_edgeclass("sort", photos, "--into", dest, "--move", "-m", model, "-f", "json")
    out = json.loads(proc.stdout)
    assert sorted(p.name for p in photos.iterdir()) == ["broken.png"]  # failures stay
    placed = {Path(p["target"]).name: sha(Path(p["target"])) for p in out["placed"]}
    assert placed == {name: digest for name, digest in before.items() if name != "broken.png"}
    undo = run_edgeclass("sort", "--undo", out["journal"])
    assert undo.returncode == 0, undo.stderr
    assert hashes(photos) == before
    assert not (dest / "red").exists()


def test_link_mode_makes_symlinks(tmp_path, photos, model):
    dest = tmp_path / "sorted"
    proc = run_edgeclass("sort", photos, "--into", dest, "--link", "-m", model)
    assert proc.returncode == 1
    link = dest / "red" / "red0.png"
    assert link.is_symlink() and os.readlink(link) == str(photos / "red0.png")


def test_clashes_get_a_number_and_nothing_is_overwritten(tmp_path, model):
    a = coloured(tmp_path / "a" / "x.png", "red", 1)
    b = coloured(tmp_path / "b" / "x.png", "red", 2)
    dest = tmp_path / "sorted"
    existing = coloured(dest / "red" / "x.png", "red", 3)
    old = sha(existing)
    proc = run_edgeclass("sort", a, b, "--into", dest, "-m", model, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert sha(existing) == old
    assert sha(dest / "red" / "x-1.png") == sha(a)
    assert sha(dest / "red" / "x-2.png") == sha(b)


def test_threshold_and_dry_run(tmp_path, photos, model):
    coloured(photos / "grey.png", (120, 110, 110))  # p(red) about 0.43
    dest = tmp_path / "sorted"
    proc = run_edgeclass(
        "sort", photos, "--into", dest, "-t", "0.6", "--dry-run", "-m", model, "-f", "json"
    )
    plan = json.loads(proc.stdout)
    assert plan["dry_run"] is True and plan["counts"]["unknown"] == 1
    assert not dest.exists()  # a dry run touches nothing
    table = run_edgeclass("sort", photos, "--into", dest, "--dry-run", "-m", model)
    assert "red/" in table.stdout and "not sorted (could not be classified): 1" in table.stdout


@pytest.fixture
def read_only_folder(tmp_path):
    with read_only(tmp_path / "ro") as folder:
        yield folder


@pytest.mark.parametrize("below", [False, True])
def test_read_only_destination_is_a_clear_error(tmp_path, model, read_only_folder, below):
    photo = coloured(tmp_path / "p.png", "red")
    dest = read_only_folder / "sub" if below else read_only_folder
    proc = run_edgeclass("sort", photo, "--into", dest, "-m", model)
    assert proc.returncode == 2, proc.stderr
    assert f"destination {dest} is read-only" in proc.stderr
    assert list(read_only_folder.iterdir()) == []
    assert photo.exists()


def _start_move(photos: Path, dest: Path, model: Path, journal: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "EDGECLASS_MODEL"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edgeclass",
            "sort",
            photos,
            "--into",
            dest,
            "--move",
            "-m",
            model,
            "--journal",
            journal,
            "-q",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=signals_as_from_a_terminal,
    )


def _wait_for_first_done(proc: subprocess.Popen, journal: Path) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and '"done"' in journal.read_text():
            return
        time.sleep(0.002)
    if proc.poll() is None:
        proc.kill()
    pytest.fail(f"the move never started: {proc.communicate(timeout=30)}")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sigint", "sigkill"])
def test_interrupted_move_leaves_a_consistent_journal_and_undo_restores_all(tmp_path, model, how):
    photos = tmp_path / "many"
    for i in range(1500):
        coloured(photos / f"p{i:04d}.png", ("red", "green", "blue")[i % 3], seed=i)
    originals = hashes(photos)
    dest, journal = tmp_path / "sorted", tmp_path / "journal.jsonl"
    proc = _start_move(photos, dest, model, journal)
    _wait_for_first_done(proc, journal)
    if how == "sigint":
        proc.send_signal(signal.SIGSTOP)  # hold it mid-way while Ctrl+C arrives
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGCONT)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 130, stderr
        assert json.loads(journal.read_text().splitlines()[-1]) == {
            "kind": "end",
            "cancelled": True,
        }
    else:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    moved = assert_consistent(journal, photos, originals)
    assert 0 < moved < 1500
    undo = run_edgeclass("sort", "--undo", journal, "-f", "json")
    assert undo.returncode == 0, undo.stderr
    assert hashes(photos) == originals
    assert not list(dest.rglob("*.png"))
