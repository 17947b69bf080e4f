"""Shared by `sort` and `evaluate`: a phase progress line on stderr, and Ctrl+C as a cancel."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from edgeclass.cli.progress import StatusLine


class StepProgress(StatusLine):
    """`on_progress(phase, done, total)` drawn as `\\rsort 37/100`, at most 10 times a second."""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.due(final=done == total):
            self.draw(f"{phase} {done}/{total} ")


@contextlib.contextmanager
def interrupt_sets(cancel: threading.Event) -> Iterator[None]:
    """The first Ctrl+C sets `cancel` (the work stops at its next safe point); a second one
    interrupts at once, as usual."""

    def handler(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
