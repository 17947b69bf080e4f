"""Every file-system error on an input path is that path's row; a bad --output is one line and
exit code 2, decided before any work. No traceback, whatever the OS raises."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from hostile_cli import classify_command, cli_env, run_classify
from hostile_inputs import nested_folders, plain_jpeg
from unprivileged import open_tmp_dir, run_unprivileged

from edgeclass.cli import exit_codes
from edgeclass.runtime import Status


def rows(stdout: bytes) -> list[tuple[str, str, str]]:
    return [
        (row["path"], row["status"], row["message"])
        for row in map(json.loads, stdout.decode("utf-8").splitlines())
    ]


def unreachable(tmp_path: Path, kind: str) -> Path:
    """A path no file can be reached by, of the given kind."""
    if kind == "name too long":
        return tmp_path / ("n" * 252 + ".jpg")  # 256 bytes: over NAME_MAX (255)
    if kind == "symbolic link loop":
        loop = tmp_path / "loop.jpg"
        loop.symlink_to(loop.name)
        return loop
    if kind == "inside a file":
        return plain_jpeg(tmp_path / "afile.jpg") / "inside.jpg"  # ENOTDIR
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["name too long", "symbolic link loop", "inside a file"])
def test_an_unreachable_path_on_the_command_line_is_a_row(kind, tmp_path, tiny_model_dir):
    good = plain_jpeg(tmp_path / "good.jpg")
    bad = unreachable(tmp_path, kind)
    run = run_classify(good, bad, "-m", tiny_model_dir, "-f", "jsonl")
    stderr = run.stderr.decode()
    assert run.returncode == exit_codes.SOME_FILES_FAILED, stderr
    [first, second] = rows(run.stdout)
    assert first[:2] == (str(good), Status.OK.value)
    assert second[:2] == (str(bad), Status.NOT_FOUND.value) and second[2], second
    assert "Traceback" not in stderr
    assert f"{bad}: not_found: " in stderr


def test_a_folder_that_cannot_be_entered_on_the_path_is_a_row(tiny_model_dir):
    with open_tmp_dir() as root:
        good = plain_jpeg(root / "good.jpg")
        inner = plain_jpeg(root / "locked" / "inner" / "photo.jpg").parent
        for path in [good, inner / "photo.jpg"]:
            path.chmod(0o644)
        inner.chmod(0o755)
        (root / "locked").chmod(0o600)  # readable, but cannot be entered (no x): stat fails
        command = classify_command(good, inner, "-m", tiny_model_dir, "-f", "jsonl")
        proc = run_unprivileged(command, env=cli_env())
    stderr = proc.stderr.decode()
    assert proc.returncode == exit_codes.SOME_FILES_FAILED, stderr
    assert [r[:2] for r in rows(proc.stdout)] == [
        (str(good), Status.OK.value),
        (str(inner), Status.PERMISSION_ERROR.value),
    ]
    assert "Traceback" not in stderr


def test_a_walk_deeper_than_the_recursion_limit_finds_the_photo_at_the_bottom(
    tmp_path, tiny_model_dir
):
    depth = sys.getrecursionlimit() + 100
    with nested_folders(tmp_path / "top", depth) as bottom:
        run = run_classify("-r", tmp_path / "top", "-m", tiny_model_dir, "-f", "jsonl")
    assert run.returncode == exit_codes.OK, run.stderr.decode()[-2000:]
    [(path, status, _)] = rows(run.stdout)
    assert (path, status) == (str(bottom), Status.OK.value)


def test_a_symbolic_link_loop_met_in_a_walk_is_a_row(tmp_path, tiny_model_dir):
    folder = tmp_path / "photos"
    plain_jpeg(folder / "a.jpg")
    (folder / "loop.jpg").symlink_to("loop.jpg")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")  # a folder loop: links to folders are not followed
    run = run_classify("-r", folder, "-m", tiny_model_dir, "-f", "jsonl")
    assert run.returncode == exit_codes.SOME_FILES_FAILED, run.stderr.decode()
    assert [r[:2] for r in rows(run.stdout)] == [
        (str(folder / "a.jpg"), Status.OK.value),
        (str(folder / "loop.jpg"), Status.NOT_FOUND.value),
    ]


def bad_output(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """An --output that can never be written, and the reason the one line must give."""
    if kind == "inside a file":
        (tmp_path / "afile").write_text("a file, not a folder")
        return tmp_path / "afile" / "sub.csv", "a part of the path is a file, not a folder"
    if kind == "symbolic link loop":
        loop = tmp_path / "loop.csv"
        loop.symlink_to(loop.name)
        return loop, "too many levels of symbolic links"
    if kind == "name too long":
        return tmp_path / ("r" * 300 + ".csv"), "the name is too long"
    if kind == "missing folder":
        return tmp_path / "nope" / "r.csv", "does not exist"
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind", ["inside a file", "symbolic link loop", "name too long", "missing folder"]
)
def test_a_bad_output_is_one_line_and_exit_2_before_any_work(kind, tmp_path):
    photo = plain_jpeg(tmp_path / "photos" / "a.jpg")
    output, reason = bad_output(tmp_path, kind)
    before = sorted(os.listdir(tmp_path))
    # A model folder that does not exist: had any work begun, the model error (3) would win.
    run = run_classify(photo, "-m", tmp_path / "no-model", "-o", output, timeout=60)
    assert run.returncode == exit_codes.USAGE, run.stderr.decode()
    [line] = run.stderr.decode().splitlines()
    assert line.startswith(f"edgeclass: --output {output}") and reason in line, line
    assert run.stdout == b""
    assert sorted(os.listdir(tmp_path)) == before


def test_an_output_folder_that_is_not_writable_is_one_line_and_exit_2(tiny_model_dir):
    with open_tmp_dir() as root:
        photo = plain_jpeg(root / "a.jpg")
        photo.chmod(0o644)
        (root / "locked").mkdir()
        (root / "locked").chmod(0o555)
        output = root / "locked" / "r.csv"
        command = classify_command(photo, "-m", tiny_model_dir, "-o", output)
        proc = run_unprivileged(command, env=cli_env())
        assert not output.exists()
    assert proc.returncode == exit_codes.USAGE, proc.stderr.decode()
    # Besides any tidy `edgeclass: onnxruntime:` line, which a user who cannot write $HOME may
    # get from onnxruntime itself (its telemetry did, before edgeclass turned it off).
    [line] = [
        line
        for line in proc.stderr.decode().splitlines()
        if not line.startswith("edgeclass: onnxruntime: ")
    ]
    assert line == f"edgeclass: --output {output}: folder {output.parent} is not writable"
