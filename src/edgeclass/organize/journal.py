"""The sort journal: JSON lines, each one on disk (fsync) before the step it announces.

A `begin` record names a file's source and target before the file is touched, and a `done`
record follows once it is in place; undo appends `undo-begin` / `undone` the same way. So
whenever the process dies, each file is at one of the two paths its last record names, and
`sort --undo` (which reads the records and looks at the disk where a step was cut short) can
always finish the job. Only the last line can be torn by a crash; a reader skips it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgeclass.atomic_files import fsync_folder
from edgeclass.errors import EdgeclassError

FORMAT = "edgeclass-sort-journal"
VERSION = 1
JOURNAL_PREFIX = ".edgeclass-sort-"  # hidden, so a later scan of DEST never picks it up


class JournalError(EdgeclassError):
    """A journal that cannot be read, or is not an edgeclass sort journal."""


def default_journal_path(dest: Path) -> Path:
    """DEST/.edgeclass-sort-20261203-104500.jsonl (a counter when one already has that name)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = dest / f"{JOURNAL_PREFIX}{stamp}.jsonl"
    number = 1
    while path.exists():
        path = dest / f"{JOURNAL_PREFIX}{stamp}-{number}.jsonl"
        number += 1
    return path


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line that a crash left unfinished, so new records start on a line of their
    own. Nothing is lost: a record is written before its step, so an unfinished `begin` means
    the step never started, and an unfinished `done` is settled by looking at the disk."""
    with open(path, "rb+") as journal:
        data = journal.read()
        if data and not data.endswith(b"\n"):
            journal.truncate(data.rfind(b"\n") + 1)
            journal.flush()
            os.fsync(journal.fileno())


class JournalWriter:
    """Appends records, each flushed and fsync'd before `write` returns."""

    def __init__(self, path: Path, *, create: bool) -> None:
        self.path = path
        flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT | os.O_EXCL if create else 0)
        if not create:
            _drop_torn_tail(path)
        self._fd = os.open(path, flags, 0o666)
        if create:
            fsync_folder(path.parent)  # the journal's own name must survive a crash too

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        data = line.encode("utf-8", "surrogateescape")  # non-UTF-8 file names round-trip
        os.write(self._fd, data)
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.close()


@dataclass
class Entry:
    """Everything the journal says about one file, in record order."""

    seq: int
    mode: str
    source: str
    target: str
    temp: str | None = None
    size: int | None = None
    sha256: str | None = None
    states: list[str] = field(default_factory=list)  # begin, done, failed, undo-begin, ...

    @property
    def last(self) -> str:
        return self.states[-1]


@dataclass
class Journal:
    path: Path
    header: dict[str, Any]
    entries: dict[int, Entry]
    created_folders: list[str]  # label folders the sort made (undo removes them when empty)

    @property
    def mode(self) -> str:
        return str(self.header.get("mode"))


def read_journal(path: str | Path) -> Journal:
    journal_path = Path(path)
    try:
        raw = journal_path.read_bytes()
    except OSError as error:
        raise JournalError(f"cannot read journal {journal_path}: {error.strerror}") from None
    lines = raw.decode("utf-8", "surrogateescape").split("\n")
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines) - 1:  # no newline after it: the write was cut short
                continue
            raise JournalError(f"{journal_path}: line {number + 1} is not JSON") from None
    if not records or records[0].get("format") != FORMAT:
        raise JournalError(f"{journal_path} is not an edgeclass sort journal")
    if records[0].get("version") != VERSION:
        raise JournalError(f"{journal_path}: journal version {records[0].get('version')} unknown")
    header = records[0]
    entries: dict[int, Entry] = {}
    created: list[str] = []
    for record in records[1:]:
        kind = record.get("kind")
        if kind == "mkdir":
            created.append(record["path"])
        elif kind == "begin":
            entries[record["seq"]] = Entry(
                seq=record["seq"],
                mode=header["mode"],
                source=record["source"],
                target=record["target"],
                temp=record.get("temp"),
                states=["begin"],
            )
        elif kind in ("done", "failed", "undo-begin", "undone", "undo-failed"):
            entry = entries.get(record.get("seq"))
            if entry is None:
                raise JournalError(f"{journal_path}: {kind} record for unknown seq {record}")
            entry.states.append(kind)
            if kind == "done":
                entry.size = record.get("size")
                entry.sha256 = record.get("sha256")
    return Journal(journal_path, header, entries, created)
