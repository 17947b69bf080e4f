"""Copy, move and link one file without ever overwriting what is at the target.

`os.rename` replaces an existing target silently on POSIX, so names are claimed with calls that
fail instead: a hard link (`os.link`), a symbolic link, or `O_CREAT | O_EXCL`. A move within one
file system is a hard link then an unlink, so for an instant the file has both names, never
neither; across file systems it is a copy (fsync'd) published under its name, then the unlink.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from pathlib import Path

_CHUNK = 1 << 20
# os.link errors that mean "no hard links here" (FAT, exFAT, some network shares, or Linux's
# protected_hardlinks for a file the user does not own), not "something is wrong".
_NO_HARD_LINKS = {errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK}
# Errors on the destination side that would fail every later file too: stop the run.
FATAL_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}


class TargetExists(Exception):
    """The target name was taken after the plan was made; the caller picks another."""


def temp_name_for(target: Path) -> Path:
    """A hidden temp file beside the target (same file system, so publishing is a link)."""
    return target.with_name(f".{target.name}.edgeclass-{os.getpid()}.part")


def copy_file(source: Path, target: Path, temp: Path, *, durable: bool = False) -> tuple[int, str]:
    """Copy `source` to `target` (data and timestamps). Returns (size, sha256) of the copy."""
    digest = hashlib.sha256()
    size = 0
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(source, "rb") as reader, open(descriptor, "wb", closefd=False) as writer:
            while chunk := reader.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                writer.write(chunk)
            writer.flush()
            if durable:
                os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        _remove_quietly(temp)
        raise
    os.close(descriptor)
    try:
        shutil.copystat(source, temp)  # keep the photo's modification time
        _publish(temp, target)
    except BaseException:
        _remove_quietly(temp)
        raise
    return size, digest.hexdigest()


def _publish(temp: Path, target: Path) -> None:
    """Give the finished temp file its real name, failing with TargetExists if that is taken."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise TargetExists(str(target)) from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        try:  # claim the name, then replace our own empty claim
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            raise TargetExists(str(target)) from None
        os.replace(temp, target)
        return
    os.unlink(temp)


def move_file(source: Path, target: Path, temp: Path) -> None:
    """Move `source` to `target`; the source name goes only once the target name exists."""
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        raise TargetExists(str(target)) from None
    except OSError as error:
        if error.errno == errno.EXDEV:
            copy_file(source, target, temp, durable=True)
        elif error.errno in _NO_HARD_LINKS:
            if os.path.lexists(target):
                raise TargetExists(str(target)) from None
            os.rename(source, target)
            return
        else:
            raise
    try:
        os.unlink(source)
    except OSError:
        os.unlink(target)  # the source stays (e.g. its folder is read-only): one name again
        raise


def link_file(source: Path, target: Path) -> None:
    """A symbolic link at `target` to the absolute `source`."""
    try:
        os.symlink(os.path.abspath(source), target)
    except FileExistsError:
        raise TargetExists(str(target)) from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
