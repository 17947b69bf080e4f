"""Carry out a sort plan: copy, move or link each photo, journalled step by step."""

from __future__ import annotations

import enum
import errno
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from edgeclass import __version__
from edgeclass.errors import EdgeclassError
from edgeclass.organize.journal import FORMAT, VERSION, JournalWriter
from edgeclass.organize.names import free_name
from edgeclass.organize.plan import PlannedFile, SortPlan
from edgeclass.organize.transfer import (
    FATAL_ERRNOS,
    TargetExists,
    copy_file,
    link_file,
    move_file,
    temp_name_for,
)
from edgeclass.runtime.progress import ProgressCallback, no_progress


class Mode(str, enum.Enum):
    COPY = "copy"
    MOVE = "move"
    LINK = "link"  # symbolic links to the originals


class DestinationError(EdgeclassError):
    """The destination cannot take the files (read-only, full, not a folder)."""


@dataclass
class SortOutcome:
    journal: Path
    mode: Mode
    placed: list[tuple[PlannedFile, Path]] = field(default_factory=list)  # (planned, final)
    failed: list[tuple[PlannedFile, str]] = field(default_factory=list)
    cancelled: bool = False


def check_destination(dest: Path) -> None:
    """Fail before any work when `dest` cannot hold the sorted photos; creates it if missing."""
    if dest.exists() and not dest.is_dir():
        raise DestinationError(f"destination {dest} exists and is not a folder")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        probe = dest / f".edgeclass-write-test-{os.getpid()}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as error:
        reason = "is read-only" if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else ""
        raise DestinationError(
            f"destination {dest} {reason or 'cannot be written'}: {error.strerror}"
        ) from None


def apply_plan(
    plan: SortPlan,
    mode: Mode,
    journal_path: Path,
    *,
    cancel: threading.Event | None = None,
    on_progress: ProgressCallback = no_progress,
) -> SortOutcome:
    """Place every planned file; stop between files when `cancel` is set.

    The journal is created first (it must not exist yet) and every step is on disk before it
    happens, so an interrupted run can be undone with `undo_journal`. A file that cannot be
    placed (gone, no permission) is a failure and the run goes on; a full or read-only
    destination stops it with DestinationError, after its failure is journalled.
    """
    check_destination(plan.dest)
    outcome = SortOutcome(journal_path, mode)
    # Names still promised to files not yet placed, so a late clash never steals one.
    promised = {planned.target for planned in plan.files}
    created: set[Path] = set()
    total = len(plan.files)
    with JournalWriter(journal_path, create=True) as journal:
        journal.write(
            {
                "format": FORMAT,
                "version": VERSION,
                "kind": "header",
                "mode": mode.value,
                "dest": str(plan.dest),
                "threshold": plan.threshold,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "edgeclass": __version__,
            }
        )
        on_progress("sort", 0, total)
        for seq, planned in enumerate(plan.files, start=1):
            if cancel is not None and cancel.is_set():
                outcome.cancelled = True
                break
            promised.discard(planned.target)
            folder = planned.target.parent
            if folder not in created and not folder.is_dir():
                journal.write({"kind": "mkdir", "path": str(folder)})
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise DestinationError(f"cannot create {folder}: {error.strerror}") from None
                created.add(folder)
            try:
                final = _place(journal, seq, planned, mode, promised)
            except OSError as error:
                message = error.strerror or str(error)
                outcome.failed.append((planned, message))
                if error.errno in FATAL_ERRNOS:
                    raise DestinationError(
                        f"stopped at {planned.source}: {message} (the journal "
                        f"{journal_path} says where every file is)"
                    ) from None
            else:
                outcome.placed.append((planned, final))
            on_progress("sort", seq, total)
        journal.write({"kind": "end", "cancelled": outcome.cancelled})
    return outcome


def _place(
    journal: JournalWriter, seq: int, planned: PlannedFile, mode: Mode, promised: set[Path]
) -> Path:
    """Journal, then do, one file's step; a name taken meanwhile gets the next free one."""
    target = planned.target
    taken = {path.name.casefold() for path in promised if path.parent == target.parent}
    while True:
        if os.path.lexists(target) or target.name.casefold() in taken:
            target = free_name(target.parent, planned.target.name, taken)
        temp = temp_name_for(target)
        journal.write(
            {
                "kind": "begin",
                "seq": seq,
                "source": str(planned.source),
                "target": str(target),
                "temp": str(temp),
                "label": planned.label,
            }
        )
        try:
            record = _transfer(planned.source, target, temp, mode)
        except TargetExists:
            journal.write({"kind": "failed", "seq": seq, "error": "target name taken"})
            taken.add(target.name.casefold())
            continue
        except OSError as error:
            journal.write({"kind": "failed", "seq": seq, "error": error.strerror or str(error)})
            raise
        journal.write({"kind": "done", "seq": seq, **record})
        return target


def _transfer(source: Path, target: Path, temp: Path, mode: Mode) -> dict:
    if mode is Mode.COPY:
        size, sha256 = copy_file(source, target, temp)
        return {"size": size, "sha256": sha256}
    if mode is Mode.MOVE:
        move_file(source, target, temp)
        return {}
    link_file(source, target)
    return {}
