"""The Folder column: where a photo sits, told relative to the folder that was dropped.

Two photos in `2019/cat` and `2023/cat` under a dropped `Pictures` read `2019/cat` and
`2023/cat`, not `cat` twice. A photo directly in a dropped folder, or dropped on its own, reads
its folder's name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from edgeclass.runtime.names import display_path


class FolderNames:
    def __init__(self) -> None:
        self._roots: list[str] = []  # dropped folders, the longest first
        self._names: dict[str, str] = {}  # parent folder -> what the column says

    def add_roots(self, folders: Iterable[str | os.PathLike[str]]) -> None:
        roots = {os.fspath(folder).rstrip(os.sep) or os.sep for folder in folders}
        self._roots = sorted(roots | set(self._roots), key=len, reverse=True)
        self._names.clear()

    def clear(self) -> None:
        self._roots.clear()
        self._names.clear()

    def roots(self) -> list[str]:
        return list(self._roots)

    def name(self, path: str) -> str:
        """The text of the Folder column for the photo at `path`."""
        parent = os.path.dirname(path)
        name = self._names.get(parent)
        if name is None:
            name = self._names[parent] = display_path(self._relative(parent))
        return name

    def _relative(self, parent: str) -> str:
        for root in self._roots:
            if parent == root:
                break
            prefix = root if root.endswith(os.sep) else root + os.sep
            if parent.startswith(prefix):
                return parent[len(prefix) :]
        return os.path.basename(parent) or parent
