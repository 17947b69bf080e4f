"""Counts of a run's results by status, and the words for them, shared by the CLI's end-of-run
line and the desktop's status bar."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from edgeclass.runtime.results import UNKNOWN_LABEL, ClassificationResult, Status

# Files left out on purpose (too big to decode safely, a format this build cannot read), as
# opposed to files that are broken or out of reach.
SKIPPED_STATUSES = frozenset({Status.TOO_LARGE, Status.UNSUPPORTED_FORMAT})


class StatusTally:
    def __init__(self, results: Iterable[ClassificationResult] = ()) -> None:
        self.statuses: Counter[Status] = Counter()
        self.unknown = 0
        for result in results:
            self.add(result)

    def add(self, result: ClassificationResult) -> None:
        self.statuses[result.status] += 1
        if result.label == UNKNOWN_LABEL:
            self.unknown += 1

    @property
    def done(self) -> int:
        return sum(self.statuses.values())

    @property
    def ok(self) -> int:
        return self.statuses[Status.OK]

    @property
    def failed(self) -> int:
        """Every file without a label: broken, out of reach or skipped."""
        return self.done - self.ok

    def parts(self) -> list[str]:
        """`998 of 1000 files classified`, `1 skipped (1 too_large)`, `1 failed (1 unreadable)`."""
        parts = [f"{self.ok} of {self.done} files classified"]
        if self.unknown:
            parts.append(f"{self.unknown} below threshold (unknown)")
        skipped = {s: n for s, n in self.statuses.items() if s in SKIPPED_STATUSES}
        failed = {s: n for s, n in self.statuses.items() if s is not Status.OK and s not in skipped}
        for word, counts in (("skipped", skipped), ("failed", failed)):
            if counts:
                detail = ", ".join(f"{n} {s.value}" for s, n in sorted(counts.items()))
                parts.append(f"{sum(counts.values())} {word} ({detail})")
        return parts
