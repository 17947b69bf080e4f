"""The one atomic-write module: files, JSON and folders replaced whole or not at all."""

import json
import os
import stat
import subprocess
import sys

import pytest

from edgeclass.atomic_files import (
    FILE_MODE,
    atomic_write,
    replace_folder,
    write_json_atomic,
    write_text_atomic,
)


def test_a_failed_binary_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "heat.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target, binary=True) as stream:
        stream.write(b"half")
        raise RuntimeError("stopped")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["heat.png"]


def test_a_new_file_gets_the_usual_mode_and_a_replaced_one_keeps_its_own(tmp_path):
    new = tmp_path / "new.txt"
    write_text_atomic(new, "x")
    assert stat.S_IMODE(new.stat().st_mode) == FILE_MODE  # not mkstemp's 0600
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    os.chmod(kept, 0o640)
    write_text_atomic(kept, "new")
    assert kept.read_text() == "new"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


def test_json_is_written_indented_into_a_new_folder(tmp_path):
    path = tmp_path / "run" / "summary.json"
    write_json_atomic(path, {"accuracy": 0.851, "labels": ["cat", "dog"]})
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and '\n  "accuracy"' in text
    assert json.loads(text) == {"accuracy": 0.851, "labels": ["cat", "dog"]}


def test_replace_folder_swaps_in_the_new_folder_and_removes_the_old(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    staged = tmp_path / ".model.tmp-1"
    staged.mkdir()
    (staged / "model.onnx").write_text("new")
    replace_folder(staged, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert [p.name for p in target.iterdir()] == ["model.onnx"]


# A writer in another process: it opens the atomic write, says so, then waits to be killed.
WRITER = """
import sys, time
from edgeclass.atomic_files import atomic_write
with atomic_write(sys.argv[1]) as stream:
    stream.write("half of the results")
    stream.flush()
    print("writing", flush=True)
    time.sleep(60)
"""


def start_writer(target) -> subprocess.Popen:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout.readline() == "writing\n"
    return writer


def hidden(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_temp_file_left_by_a_killed_writer_goes_with_the_next_write(tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("previous\n")
    (tmp_path / ".results.csv.keep").write_text("not ours")
    (tmp_path / ".other.csv.edgeclass-1-x.tmp").write_text("another target's")
    writer = start_writer(target)
    writer.kill()  # SIGKILL: no clean-up can run
    writer.wait(timeout=30)
    [left] = [name for name in hidden(tmp_path) if name.startswith(".results.csv.edgeclass-")]
    assert left.startswith(f".results.csv.edgeclass-{writer.pid}-") and left.endswith(".tmp")
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert hidden(tmp_path) == [".other.csv.edgeclass-1-x.tmp", ".results.csv.keep"]


def test_the_temp_file_of_a_writer_still_at_work_is_left_alone(tmp_path):
    target = tmp_path / "results.csv"
    writer = start_writer(target)
    try:
        [theirs] = hidden(tmp_path)
        write_text_atomic(target, "ours\n")
        assert hidden(tmp_path) == [theirs]
    finally:
        writer.kill()
        writer.wait(timeout=30)
