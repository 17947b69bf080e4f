"""A dependency-free progress line on stderr, and the end-of-run summary."""

from __future__ import annotations

import time
from collections import Counter
from typing import TextIO

from edgeclass.runtime.results import UNKNOWN_LABEL, ClassificationResult, Status


class Progress:
    """`\\r 37% [#######      ] 370/1000  84.1 images/s  eta 7s`, redrawn at most 10 times a second.

    Disabled, it still counts, so the summary is the same either way.
    """

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled
        self.done = 0
        self.statuses: Counter[Status] = Counter()
        self.unknown = 0
        self.started = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = False

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def failed(self) -> int:
        return self.done - self.statuses[Status.OK]

    def update(self, result: ClassificationResult) -> None:
        self.done += 1
        self.statuses[result.status] += 1
        if result.label == UNKNOWN_LABEL:
            self.unknown += 1
        now = time.perf_counter()
        if self.enabled and (now - self._last_draw >= 0.1 or self.done == self.total):
            self._last_draw = now
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
        self.stream.write(
            f"\r{fraction:4.0%} [{'#' * filled}{' ' * (width - filled)}] "
            f"{self.done}/{self.total}  {rate:.1f} images/s  eta {eta:.0f}s "
        )
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def summary(self) -> str:
        ok = self.statuses[Status.OK]
        failed = self.failed
        elapsed = self.elapsed
        rate = self.done / elapsed if elapsed > 0 else 0.0
        parts = [f"{ok} of {self.done} files classified"]
        if self.unknown:
            parts.append(f"{self.unknown} below threshold (unknown)")
        if failed:
            detail = ", ".join(
                f"{count} {status.value}"
                for status, count in sorted(self.statuses.items(), key=lambda item: item[0].value)
                if status is not Status.OK
            )
            parts.append(f"{failed} failed ({detail})")
        return f"edgeclass: {', '.join(parts)} in {elapsed:.1f} s ({rate:.1f} images/s)"
