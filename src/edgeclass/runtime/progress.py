"""How long operations report progress: a plain callback, easy to turn into a Qt signal."""

from __future__ import annotations

from collections.abc import Callable

# on_progress(phase, done, total): phase names the step ("classify", "sort", "undo", ...).
ProgressCallback = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    """The default callback: report nothing."""
