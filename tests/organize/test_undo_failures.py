"""Undo's failure paths on real files: a link sort undone, a user's file that replaced a link
kept, the temp file of a copy cut short removed, and a sort stopped mid-run by a full or
read-only destination (a real tmpfs and a real read-only bind mount, in a user namespace)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from edgeclass.organize import Mode, apply_plan, default_journal_path, plan_sort, undo_journal
from edgeclass.organize.journal import FORMAT, VERSION
from edgeclass.runtime import ClassificationResult, Status


def photo(path: Path, seed: int) -> Path:
    """A noisy 160x160 PNG (about 75 kB: noise does not compress)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (160, 160, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def classified(paths_and_labels: list[tuple[Path, str]]) -> list[ClassificationResult]:
    return [
        ClassificationResult(str(path), Status.OK, label=label, score=0.9, top_k=((label, 0.9),))
        for path, label in paths_and_labels
    ]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sort(tmp_path: Path, mode: Mode, labels: list[str]):
    photos = [photo(tmp_path / "photos" / f"p{i}.png", i) for i in range(len(labels))]
    dest = tmp_path / "sorted"
    plan = plan_sort(classified(list(zip(photos, labels, strict=True))), dest)
    outcome = apply_plan(plan, mode, default_journal_path(dest.parent))
    assert len(outcome.placed) == len(photos) and not outcome.failed
    return photos, dest, outcome


def test_undo_of_a_link_sort_removes_the_links_and_nothing_else(tmp_path):
    photos, dest, outcome = sort(tmp_path, Mode.LINK, ["cat", "dog", "cat"])
    before = {p: sha(p) for p in photos}
    links = [final for _, final in outcome.placed]
    assert all(link.is_symlink() for link in links)
    undone = undo_journal(outcome.journal)
    assert len(undone.restored) == 3 and not undone.failed
    assert not any(os.path.lexists(link) for link in links)
    assert not dest.exists() or list(dest.iterdir()) == []  # the label folders it made are gone
    assert {p: sha(p) for p in photos} == before  # the photos the links pointed at stay


def test_a_file_or_link_that_replaced_a_sorted_link_is_kept(tmp_path):
    photos, _, outcome = sort(tmp_path, Mode.LINK, ["cat", "cat", "cat"])
    replaced_by_file, replaced_by_link, untouched = (final for _, final in outcome.placed)
    replaced_by_file.unlink()
    replaced_by_file.write_bytes(b"the user's own edit, saved where the link was")
    replaced_by_link.unlink()
    replaced_by_link.symlink_to(photos[0])  # a link, but not the one the sort made
    undone = undo_journal(outcome.journal)
    assert [Path(entry.target) for entry in undone.restored] == [untouched]
    assert sorted(Path(entry.target) for entry, _ in undone.failed) == sorted(
        [replaced_by_file, replaced_by_link]
    )
    assert all("no longer the link this sort made" in message for _, message in undone.failed)
    assert replaced_by_file.read_bytes() == b"the user's own edit, saved where the link was"
    assert os.readlink(replaced_by_link) == str(photos[0])
    assert not os.path.lexists(untouched)


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_undo_removes_the_temp_file_of_a_step_cut_short(tmp_path, mode):
    # A copy (or a move across file systems) killed mid-way: its begin record names the temp
    # file, which holds part of the photo; the target name was never taken.
    source = photo(tmp_path / "photos" / "a.png", 0)
    target = tmp_path / "sorted" / "cat" / "a.png"
    temp = target.with_name(".a.png.edgeclass-4242.part")
    temp.parent.mkdir(parents=True)
    temp.write_bytes(source.read_bytes()[:1000])
    journal = tmp_path / "journal.jsonl"
    records = [
        {"format": FORMAT, "version": VERSION, "kind": "header", "mode": mode},
        {"kind": "mkdir", "path": str(target.parent)},
        {
            "kind": "begin",
            "seq": 1,
            "source": str(source),
            "target": str(target),
            "temp": str(temp),
        },
    ]
    journal.write_text("".join(json.dumps(record) + "\n" for record in records))
    undone = undo_journal(journal)
    assert not undone.failed
    assert not temp.exists()
    assert not target.parent.exists()  # empty once the temp file is gone, so removed too
    assert source.is_file()


# Runs inside a user and mount namespace (root there, nobody's privileges outside): DEST (or
# its `cat` folder) becomes a small tmpfs or a read-only bind mount; sort, then undo; what it
# saw goes to OUT as JSON, since the mount is gone once the namespace ends.
STOPPED_MID_RUN = r"""
import json, os, subprocess, sys
from pathlib import Path
from edgeclass.organize import DestinationError, Mode, apply_plan, plan_sort, undo_journal
from edgeclass.runtime import ClassificationResult, Status

how, mode, size = sys.argv[1], Mode(sys.argv[2]), sys.argv[5]
dest, out, photos = Path(sys.argv[3]), Path(sys.argv[4]), sorted(Path(sys.argv[6]).iterdir())
labels = ["dog", "cat", "cat", "dog"]
dest.mkdir()
if how == "full":
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "none", str(dest)], check=True)
else:  # the `cat` folder is read-only: the second photo is where the run stops
    (dest / "cat").mkdir()
    subprocess.run(["mount", "--bind", str(dest / "cat"), str(dest / "cat")], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(dest / "cat")], check=True)
results = [ClassificationResult(str(p), Status.OK, label=l, score=0.9, top_k=((l, 0.9),))
           for p, l in zip(photos, labels)]
journal = dest / "journal.jsonl"
seen = {}
try:
    apply_plan(plan_sort(results, dest), mode, journal)
    seen["stopped"] = None
except DestinationError as error:
    seen["stopped"] = str(error)
seen["files_after_sort"] = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
seen["journal"] = [json.loads(line) for line in journal.read_text().splitlines()]
undone = undo_journal(journal)
seen["restored"] = len(undone.restored)
seen["undo_failed"] = [message for _, message in undone.failed]
seen["files_after_undo"] = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
out.write_text(json.dumps(seen))
"""


def _in_a_mount_namespace(args: list[str]) -> subprocess.CompletedProcess:
    unshare = shutil.which("unshare")
    command = [unshare or "unshare", "--user", "--map-root-user", "--mount"]
    probe = unshare and subprocess.run([*command, "true"], capture_output=True, timeout=30)
    if not probe or probe.returncode != 0:
        reason = probe.stderr.decode(errors="replace").strip() if probe else "no unshare"
        pytest.skip(f"no user and mount namespace here (util-linux unshare): {reason}")
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "how, mode, error",
    [("full", "copy", "No space left on device"), ("read-only", "move", "Read-only file system")],
)
def test_a_full_or_read_only_destination_stops_the_run_and_undo_puts_everything_back(
    tmp_path, how, mode, error
):
    photos = [photo(tmp_path / "photos" / f"p{i}.png", i) for i in range(4)]
    before = {p.name: sha(p) for p in photos}
    pages = -(-max(p.stat().st_size for p in photos) // 4096)
    size = f"{(2 * pages + 4) * 4096}"  # the journal and two photos fit, the third does not
    out = tmp_path / "seen.json"
    args = [how, mode, str(tmp_path / "sorted"), str(out), size, str(tmp_path / "photos")]
    proc = _in_a_mount_namespace([sys.executable, "-c", STOPPED_MID_RUN, *args])
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(out.read_text())

    assert seen["stopped"] and error in seen["stopped"] and "journal" in seen["stopped"]
    states: dict[int, list[str]] = {}
    for record in seen["journal"]:
        if "seq" in record:
            states.setdefault(record["seq"], []).append(record["kind"])
    stop_at = 3 if how == "full" else 2  # 2 photos fit the tmpfs; photo 2 goes to read-only cat/
    assert states[stop_at] == ["begin", "failed"]
    assert all(states[seq] == ["begin", "done"] for seq in range(1, stop_at))
    assert max(states) == stop_at  # nothing after the stop was tried
    assert not any(".part" in name for name in seen["files_after_sort"])  # no temp file left
    placed = {name for name in seen["files_after_sort"] if name != "journal.jsonl"}
    assert len(placed) == stop_at - 1
    assert seen["restored"] == stop_at - 1 and seen["undo_failed"] == []
    assert seen["files_after_undo"] == ["journal.jsonl"]
    assert {p.name: sha(p) for p in photos} == before  # every photo back, every byte
