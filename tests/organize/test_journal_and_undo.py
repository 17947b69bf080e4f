"""Undo from journals cut short at the awkward instants a SIGKILL test rarely hits."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from edgeclass.organize import JournalError, read_journal, undo_journal
from edgeclass.organize.journal import FORMAT, VERSION
from edgeclass.organize.names import free_name, label_folder_name


def write_journal(path: Path, mode: str, records: list[dict], torn: str = "") -> Path:
    header = {"format": FORMAT, "version": VERSION, "kind": "header", "mode": mode}
    lines = [json.dumps(r) for r in [header, *records]]
    path.write_text("\n".join(lines) + "\n" + torn)
    return path


def test_move_cut_between_link_and_unlink_is_undone_once(tmp_path):
    source, target = tmp_path / "a.jpg", tmp_path / "dest" / "cat" / "a.jpg"
    target.parent.mkdir(parents=True)
    source.write_bytes(b"photo")
    os.link(source, target)  # the instant between the two steps: both names, one file
    journal = write_journal(
        tmp_path / "j.jsonl",
        "move",
        [
            {"kind": "mkdir", "path": str(target.parent)},
            {"kind": "begin", "seq": 1, "source": str(source), "target": str(target)},
        ],
        torn='{"kind": "do',  # the done record was being written
    )
    assert read_journal(journal).entries[1].states == ["begin"]  # the torn line is skipped
    outcome = undo_journal(journal)
    assert len(outcome.restored) == 1 and not outcome.failed
    assert source.read_bytes() == b"photo" and not target.exists()
    assert not target.parent.exists()  # the label folder it made, now empty, is gone
    assert len(undo_journal(journal).restored) == 0  # a second undo has nothing to do


def test_a_new_file_at_the_old_name_is_never_overwritten(tmp_path):
    source, target = tmp_path / "a.jpg", tmp_path / "cat" / "a.jpg"
    target.parent.mkdir()
    target.write_bytes(b"sorted photo")
    source.write_bytes(b"another photo, made later")
    journal = write_journal(
        tmp_path / "j.jsonl",
        "move",
        [
            {"kind": "begin", "seq": 1, "source": str(source), "target": str(target)},
            {"kind": "done", "seq": 1},
        ],
    )
    outcome = undo_journal(journal)
    assert len(outcome.failed) == 1 and "exists again" in outcome.failed[0][1]
    assert source.read_bytes() == b"another photo, made later"
    assert target.read_bytes() == b"sorted photo"


def test_an_edited_copy_is_kept(tmp_path):
    source, target = tmp_path / "a.jpg", tmp_path / "cat" / "a.jpg"
    target.parent.mkdir()
    source.write_bytes(b"x")
    target.write_bytes(b"edited since")
    journal = write_journal(
        tmp_path / "j.jsonl",
        "copy",
        [
            {"kind": "begin", "seq": 1, "source": str(source), "target": str(target)},
            {"kind": "done", "seq": 1, "size": 1, "sha256": "0" * 64},
        ],
    )
    outcome = undo_journal(journal)
    assert "changed since" in outcome.failed[0][1] and target.exists()


def test_not_a_journal(tmp_path):
    (tmp_path / "x.jsonl").write_text('{"hello": 1}\n')
    with pytest.raises(JournalError, match="not an edgeclass sort journal"):
        read_journal(tmp_path / "x.jsonl")


def test_names(tmp_path):
    assert label_folder_name("a/b") == "a_b" and label_folder_name("..") == "_"
    (tmp_path / "IMG.jpg").write_bytes(b"")
    assert free_name(tmp_path, "IMG.jpg", set()).name == "IMG-1.jpg"
    assert free_name(tmp_path, "x.jpg", {"x.jpg", "x-1.jpg"}).name == "x-2.jpg"
    assert free_name(tmp_path, "X.JPG", {"x.jpg"}).name == "X-1.JPG"  # case-insensitive disks
