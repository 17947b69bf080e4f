"""Permissions for files written through a temp file and a rename.

`tempfile.mkstemp` creates files readable by their owner only (0600) and `mkdtemp` folders
likewise (0700); renamed into place they would keep that, unlike every other file the user's
tools create. These give them the modes a plain `open(path, "w")` / `mkdir` would have.
"""

from __future__ import annotations

import os
from pathlib import Path


def _umask() -> int:
    current = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(current)
    return current


_UMASK = _umask()  # once, at import: changing it back and forth later would race with threads
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


def as_new_file(path: str | os.PathLike) -> None:
    """Give a temp file the mode a newly created file would have."""
    os.chmod(path, FILE_MODE)


def as_new_tree(folder: Path) -> None:
    """Give a temp folder, its sub-folders and files the modes new ones would have."""
    os.chmod(folder, DIR_MODE)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)
