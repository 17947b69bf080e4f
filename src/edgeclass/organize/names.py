"""Folder names for labels, and file names that never overwrite anything."""

from __future__ import annotations

import os
from pathlib import Path

_UNSAFE = '/\\\x00:*?"<>|'


def label_folder_name(label: str) -> str:
    """A label as one safe path component: no separators, no `.`/`..`, never empty."""
    name = "".join("_" if char in _UNSAFE or ord(char) < 32 else char for char in label)
    name = name.strip().rstrip(".")  # Windows drops trailing dots and spaces
    return name if name not in ("", ".", "..") else "_"


def numbered(name: str, number: int) -> str:
    """`IMG_1.jpg`, 2 -> `IMG_1-2.jpg` (the suffix goes before the extension)."""
    stem, suffix = os.path.splitext(name)
    return f"{stem}-{number}{suffix}"


def free_name(folder: Path, name: str, taken: set[str]) -> Path:
    """`folder/name`, or the first `name-N` that neither exists nor is in `taken`.

    `taken` holds case-folded names already promised to other files: a case-insensitive file
    system (macOS, Windows) would otherwise see `Cat.jpg` and `cat.jpg` as one file.
    """
    candidate = name
    number = 1
    while candidate.casefold() in taken or os.path.lexists(folder / candidate):
        candidate = numbered(name, number)
        number += 1
    return folder / candidate
