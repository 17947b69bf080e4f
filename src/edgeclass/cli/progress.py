"""A dependency-free progress line on stderr, and the end-of-run summary."""

from __future__ import annotations

import time
from typing import TextIO

from edgeclass.runtime.results import ClassificationResult
from edgeclass.runtime.tally import StatusTally


class StatusLine:
    """One line on `stream` redrawn in place (`\\r...`), at most 10 times a second."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._last_draw = 0.0
        self._drawn = False

    def due(self, final: bool) -> bool:
        """Whether to draw now: enabled, and 0.1 s since the last draw or this is the last one."""
        now = time.perf_counter()
        if not self.enabled or (now - self._last_draw < 0.1 and not final):
            return False
        self._last_draw = now
        return True

    def draw(self, text: str) -> None:
        self.stream.write(f"\r{text}")
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False


class Progress(StatusLine):
    """`\\r 37% [#######      ] 370/1000  84.1 images/s  eta 7s`, redrawn at most 10 times a second.

    Disabled, it still counts, so the summary is the same either way.
    """

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        super().__init__(stream, enabled)
        self.total = total
        self.tally = StatusTally()
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def done(self) -> int:
        return self.tally.done

    @property
    def failed(self) -> int:
        """Files without a label (broken, out of reach or skipped): all count against exit 0."""
        return self.tally.failed

    def update(self, result: ClassificationResult) -> None:
        self.tally.add(result)
        if self.due(final=self.done == self.total):
            self._draw()

    def note(self, line: str) -> None:
        """Print a diagnostic line without tearing the progress bar."""
        self.clear()
        self.stream.write(line + "\n")
        self.stream.flush()

    def _draw(self) -> None:
        fraction = self.done / self.total if self.total else 1.0
        width = 24
        filled = int(width * fraction)
        rate = self.done / self.elapsed if self.elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        self.draw(
            f"{fraction:4.0%} [{'#' * filled}{' ' * (width - filled)}] "
            f"{self.done}/{self.total}  {rate:.1f} images/s  eta {eta:.0f}s "
        )

    def summary(self) -> str:
        """`998 of 1000 files classified, 1 skipped (1 too_large), 1 failed (1 unreadable) ...`."""
        elapsed = self.elapsed
        rate = self.done / elapsed if elapsed > 0 else 0.0
        parts = self.tally.parts()
        return f"edgeclass: {', '.join(parts)} in {elapsed:.1f} s ({rate:.1f} images/s)"
