"""The progress lines of classify (Progress) and sort/evaluate (StepProgress) share one status
line: redrawn in place at most 10 times a second, the last update always drawn, one clear."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from edgeclass.cli import progress as progress_module
from edgeclass.cli.progress import Progress
from edgeclass.cli.steps import StepProgress
from edgeclass.runtime.results import ClassificationResult, Status


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(progress_module, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    return now


def test_step_progress_is_throttled_but_draws_the_last_step_and_clears_once(clock):
    stream = io.StringIO()
    line = StepProgress(stream, enabled=True)
    line("sort", 1, 4)
    clock[0] += 0.05
    line("sort", 2, 4)  # too soon: skipped
    line("sort", 4, 4)  # the last one: drawn anyway
    clock[0] += 0.2
    line("evaluate", 3, 9)
    assert stream.getvalue() == "\rsort 1/4 \rsort 4/4 \revaluate 3/9 "
    line.clear()
    line.clear()
    assert stream.getvalue().endswith(" \r\x1b[K")
    assert stream.getvalue().count("\x1b[K") == 1


def test_disabled_lines_draw_nothing_and_clear_nothing(clock):
    stream = io.StringIO()
    StepProgress(stream, enabled=False)("sort", 1, 1)
    bar = Progress(1, stream, enabled=False)
    bar.update(ClassificationResult(path="a.jpg", status=Status.OK, label="cat"))
    bar.clear()
    assert stream.getvalue() == ""
    assert bar.done == 1 and "1 of 1 files classified" in bar.summary()


def test_classify_bar_draws_through_the_same_line(clock):
    stream = io.StringIO()
    bar = Progress(2, stream, enabled=True)
    bar.update(ClassificationResult(path="a.jpg", status=Status.OK, label="cat"))
    clock[0] += 0.01
    bar.update(ClassificationResult(path="b.jpg", status=Status.OK, label="dog"))  # last: drawn
    assert stream.getvalue().count("\r") == 2 and "2/2" in stream.getvalue()
    bar.note("a diagnostic")
    assert stream.getvalue().endswith("\r\x1b[Ka diagnostic\n")
