"""The one atomic-write module: files, JSON and folders replaced whole or not at all."""

import json
import os
import stat

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
