"""Checks shared by the sort tests (CLI and desktop): file hashes, the journal's consistency, and
a destination folder nobody may write to (a unique module name: tests/ has no packages)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def hashes(folder: Path, pattern: str = "*.png") -> dict[str, str]:
    return {p.name: sha(p) for p in folder.rglob(pattern) if p.is_file()}


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """`folder` made read-only: mode 555, and as root (which ignores modes) also immutable
    (chattr +i, which binds root too), or a skip when neither holds."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    immutable = False
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        done = chattr and subprocess.run([chattr, "+i", folder], capture_output=True, timeout=30)
        if not done or done.returncode != 0:
            folder.chmod(0o755)
            pytest.skip("running as root without chattr +i: no folder is read-only for root")
        immutable = True
    try:
        yield folder
    finally:
        if immutable:
            subprocess.run(
                [shutil.which("chattr") or "chattr", "-i", folder], check=True, timeout=30
            )
        folder.chmod(0o755)


def journal_states(journal: Path) -> dict[int, dict]:
    states: dict[int, dict] = {}
    for line in journal.read_text().splitlines():
        record = json.loads(line)
        if record.get("kind") == "begin":
            states[record["seq"]] = {**record, "last": "begin"}
        elif "seq" in record:
            states[record["seq"]]["last"] = record["kind"]
    return states


def assert_consistent(journal: Path, source: Path, originals: dict[str, str]) -> int:
    """After a move: every photo is exactly where the journal says; returns how many moved."""
    states = journal_states(journal)
    moved = 0
    for entry in states.values():
        src, dst = Path(entry["source"]), Path(entry["target"])
        if entry["last"] == "done":
            assert dst.exists() and not src.exists()
            assert sha(dst) == originals[src.name]
            moved += 1
        else:  # cut short: at one of its two names, the same bytes
            assert src.exists() or dst.exists()
    journalled = {Path(e["source"]).name for e in states.values()}
    for name in set(originals) - journalled:
        assert (source / name).exists()
    return moved
