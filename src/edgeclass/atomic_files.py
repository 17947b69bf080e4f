"""Writing files and folders so that a reader never sees a half-written one.

A file is written to a hidden temp file beside its target, flushed to disk (fsync) and renamed
over the target; a folder is built under a temp name and swapped in. On any failure, Ctrl+C and
SIGTERM included, the temp file is removed and an existing target is left exactly as it was.

`tempfile.mkstemp` creates files readable by their owner only (0600) and `mkdtemp` folders
likewise (0700); renamed into place they would keep that, unlike every other file the user's
tools create. So a new file gets the mode a plain `open(path, "w")` would give it, and a
replaced file keeps its own.

A process killed outright (SIGKILL, the OOM killer, a power cut) cannot remove its temp file.
Those are named `.TARGET.edgeclass-PID-RANDOM.tmp` and, on POSIX, locked (flock) by the process
writing them, so the next write to the same target removes those whose writer is gone: no lock
held and no process PID alive. A signal handler that must exit at once (`os._exit`) removes the
ones in progress with `remove_temp_files`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, TextIO


def _umask() -> int:
    current = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(current)
    return current


_UMASK = _umask()  # once, at import: changing it back and forth later would race with threads
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


def as_new_tree(folder: Path) -> None:
    """Give a temp folder, its sub-folders and files the modes new ones would have."""
    os.chmod(folder, DIR_MODE)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)


def fsync_folder(folder: Path) -> None:
    """Put a folder's entries (a new or renamed name in it) on disk, where the OS allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open folders; its rename durability is the file system's
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


TEMP_MARK = ".edgeclass-"
TEMP_SUFFIX = ".tmp"
_NAME_PART = 100  # of the target's name in a temp name: the whole stays under 255 bytes

# Temp files being written now, for `remove_temp_files`.
_live_temp_files: set[str] = set()
_live_lock = threading.Lock()


def _temp_prefix(target: Path) -> str:
    return f".{target.name[:_NAME_PART]}{TEMP_MARK}"


def remove_temp_files() -> None:
    """Remove every temp file this process is writing: for a signal handler about to `os._exit`
    (an ordinary exit, an exception included, removes them on its own)."""
    for name in list(_live_temp_files):
        with contextlib.suppress(OSError):
            os.unlink(name)


def _writer_gone(path: str, pid: int) -> bool:
    """Whether the process that named a temp file `pid` can no longer be writing it."""
    if sys.platform == "win32":
        return True  # an open file cannot be removed there: the unlink itself tells
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass
    except OSError:  # alive, under another user
        return False
    else:
        return False  # alive (or its PID reused: the file then waits for the next run)
    import fcntl

    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # still locked: its writer lives on another machine sharing the folder
    finally:
        os.close(descriptor)
    return True


def remove_stale_temp_files(target: Path) -> None:
    """Remove temp files left beside `target` by earlier writers killed before they could."""
    prefix = _temp_prefix(target)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid_text = name[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and _writer_gone(entry.path, int(pid_text)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _lock(descriptor: int) -> None:
    """Hold an flock on our temp file while we write it (nothing to do where there is none)."""
    if sys.platform == "win32":
        return
    import fcntl

    with contextlib.suppress(OSError):  # a file system without locks: the PID still tells
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, binary: bool = False) -> Iterator[IO[Any]]:
    """A stream (UTF-8 text, or bytes) whose content replaces `path` when the block succeeds.

    `path` is the file itself: the caller resolves symbolic links it wants written through.
    """
    target = Path(path)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = FILE_MODE
    remove_stale_temp_files(target)
    fd, temp_name = tempfile.mkstemp(
        prefix=f"{_temp_prefix(target)}{os.getpid()}-", suffix=TEMP_SUFFIX, dir=target.parent
    )
    with _live_lock:
        _live_temp_files.add(temp_name)
    try:
        _lock(fd)
        stream: IO[Any] = (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        )
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    finally:
        with _live_lock:
            _live_temp_files.discard(temp_name)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    with atomic_write(path) as stream:
        stream.write(text)


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> None:
    """`data` as indented JSON with a final newline; the folder is created if missing."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def replace_folder(staged: Path, target: Path) -> None:
    """Rename a fully written folder into place; an old `target` is swapped out, then removed."""
    if not target.exists():
        staged.rename(target)
        return
    backup = target.with_name(f".{target.name}.old-{staged.name}")
    shutil.rmtree(backup, ignore_errors=True)
    target.rename(backup)
    staged.rename(target)
    shutil.rmtree(backup, ignore_errors=True)


def writes_in_place(path: str | os.PathLike[str]) -> bool:
    """A pipe, a device, /dev/stdout: written directly, since a file renamed over it is unread."""
    if os.path.abspath(path).startswith(("/dev/", "/proc/")):
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str] | None) -> Iterator[TextIO]:
    """Where text output goes: stdout (None or "-"), a pipe or device written directly, or a
    file written atomically (also through a symbolic link, which stays) as `atomic_write` does."""
    if path is None or str(path) == "-":
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(encoding="utf-8")  # whatever the locale says
        yield sys.stdout
        return
    if writes_in_place(path):
        with open(path, "w", encoding="utf-8", newline="") as stream:
            yield stream
        return
    with atomic_write(os.path.realpath(path)) as stream:
        yield stream
