"""Undo a sort from its journal: moved files go back, copies and links are removed.

Each step is journalled (`undo-begin`, then `undone` or `undo-failed`) in the same file, so an
interrupted undo can simply be run again. Where the journal says a step was begun but not
finished, the disk decides: a file is always at one of the two names its record gives.
Nothing the user changed since is destroyed: a copy whose content differs from what was
copied is kept, and a moved file whose old name is taken again stays where it is.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from edgeclass.organize.journal import Entry, Journal, JournalWriter, read_journal
from edgeclass.organize.transfer import TargetExists, file_sha256, move_file, temp_name_for
from edgeclass.runtime.progress import ProgressCallback, no_progress


@dataclass
class UndoOutcome:
    journal: Path
    mode: str
    restored: list[Entry] = field(default_factory=list)  # moved back, or copy/link removed
    already: int = 0  # nothing to do: already undone, or never placed
    failed: list[tuple[Entry, str]] = field(default_factory=list)
    cancelled: bool = False


class _Conflict(Exception):
    """This entry cannot be undone safely; the message says why."""


def undo_journal(
    journal_path: str | Path,
    *,
    cancel: threading.Event | None = None,
    on_progress: ProgressCallback = no_progress,
) -> UndoOutcome:
    journal = read_journal(journal_path)
    outcome = UndoOutcome(journal.path, journal.mode)
    pending = undo_pending(journal)
    outcome.already = len(journal.entries) - len(pending)
    on_progress("undo", 0, len(pending))
    with JournalWriter(journal.path, create=False) as writer:
        writer.write({"kind": "undo", "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        for done, entry in enumerate(pending, start=1):
            if cancel is not None and cancel.is_set():
                outcome.cancelled = True
                break
            writer.write({"kind": "undo-begin", "seq": entry.seq})
            try:
                changed = _undo_entry(entry, journal.mode)
            except (_Conflict, OSError) as error:
                message = str(error) if isinstance(error, _Conflict) else _describe(error)
                writer.write({"kind": "undo-failed", "seq": entry.seq, "error": message})
                outcome.failed.append((entry, message))
            else:
                writer.write({"kind": "undone", "seq": entry.seq})
                if changed:
                    outcome.restored.append(entry)
                else:
                    outcome.already += 1
            on_progress("undo", done, len(pending))
    if not outcome.cancelled:
        for folder in reversed(journal.created_folders):
            with contextlib.suppress(OSError):  # only when empty: what the user put there stays
                os.rmdir(folder)
    return outcome


def undo_pending(journal: Journal) -> list[Entry]:
    """The entries an undo would still work on, last placed first (none: nothing to undo)."""
    return [
        entry
        for entry in sorted(journal.entries.values(), key=lambda e: e.seq, reverse=True)
        if entry.last not in ("undone", "failed")
    ]


def _undo_entry(entry: Entry, mode: str) -> bool:
    """Undo one file's step; True when something changed on disk."""
    source, target = Path(entry.source), Path(entry.target)
    if entry.temp:
        _remove_if_present(Path(entry.temp))  # a copy cut short
    if mode == "move":
        return _undo_move(entry, source, target)
    if mode == "copy":
        return _undo_copy(entry, source, target)
    if mode == "link":
        return _undo_link(source, target)
    raise _Conflict(f"unknown sort mode {mode!r} in the journal")


def _undo_move(entry: Entry, source: Path, target: Path) -> bool:
    undo_temp = temp_name_for(source)
    _remove_if_present(undo_temp)  # an earlier undo cut short while copying back
    at_source, at_target = os.path.lexists(source), os.path.lexists(target)
    if at_target and at_source:
        # Both names: a move or an undo was cut between its two steps (same file, or a
        # complete copy across file systems). Anything else is a new file at the old name.
        if _same_file(source, target):
            os.unlink(target)
            return True
        raise _Conflict(f"{source} exists again; the sorted file stays at {target}")
    if at_target:
        source.parent.mkdir(parents=True, exist_ok=True)
        try:
            move_file(target, source, undo_temp)
        except TargetExists:
            raise _Conflict(f"{source} exists again; the sorted file stays at {target}") from None
        return True
    if at_source:
        return False  # never moved (cut short before the move), or already back
    raise _Conflict(f"{entry.source} is at neither {source} nor {target} any more")


def _undo_copy(entry: Entry, source: Path, target: Path) -> bool:
    if not os.path.lexists(target):
        return False
    if entry.sha256 is not None:
        if file_sha256(target) != entry.sha256:
            raise _Conflict(f"{target} changed since it was copied; kept")
    elif target.stat().st_size and not (source.exists() and _same_content(source, target)):
        # Begun but not journalled as done: only a copy of the source (or an empty claim of
        # the name) can be ours.
        raise _Conflict(f"{target} is not the copy this sort began; kept")
    os.unlink(target)
    return True


def _undo_link(source: Path, target: Path) -> bool:
    if not os.path.lexists(target):
        return False
    if not target.is_symlink() or os.readlink(target) != os.path.abspath(source):
        raise _Conflict(f"{target} is no longer the link this sort made; kept")
    os.unlink(target)
    return True


def _same_file(a: Path, b: Path) -> bool:
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        return False
    return _same_content(a, b)


def _same_content(a: Path, b: Path) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        return file_sha256(a) == file_sha256(b)
    except OSError:
        return False


def _remove_if_present(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _describe(error: OSError) -> str:
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}"
