"""How sort, undo and evaluation report progress: a plain callback, easy to turn into a signal."""

from __future__ import annotations

from collections.abc import Callable

# on_progress(phase, done, total): phase is "classify", "sort" or "undo".
ProgressCallback = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    """The default callback: report nothing."""
