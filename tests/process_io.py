"""Reading a child process's output with a deadline, so a child that hangs fails its test instead
of stalling the whole run (a unique module name: tests/ has no packages)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Callable

import pytest


def read_stderr_until(
    proc: subprocess.Popen, done: Callable[[bytes], bool], timeout: float, what: str
) -> bytes:
    """proc's stderr (a binary pipe) read until `done(everything read so far)`. Fails the test,
    killing proc, when `timeout` seconds pass first or proc closes stderr first."""
    assert proc.stderr is not None
    descriptor = proc.stderr.fileno()
    deadline = time.monotonic() + timeout
    seen = b""
    # poll, not select: a long test run can hold descriptors past select's limit of 1024.
    poller = select.poll()
    poller.register(descriptor, select.POLLIN)
    while not done(seen):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            proc.kill()
            proc.communicate(timeout=30)
            pytest.fail(f"no {what} within {timeout:g} s; stderr so far: {seen[-2000:]!r}")
        if not poller.poll(remaining * 1000):
            continue
        chunk = os.read(descriptor, 65536)
        if not chunk:
            proc.communicate(timeout=30)
            pytest.fail(f"the process ended before {what}; stderr: {seen[-2000:]!r}")
        seen += chunk
    return seen


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[bytes, bytes]:
    """The rest of proc's output once it exits; kills it and fails the test after `timeout` s."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=30)
        pytest.fail(f"still running {timeout:g} s later; stderr: {(err or b'')[-2000:]!r}")
    return out or b"", err or b""


def signals_as_from_a_terminal() -> None:
    """preexec_fn for a child the test will signal: Ctrl+C, SIGTERM and SIGHUP at their
    defaults, as from a terminal. A test run started in the background (`cmd &` in a script:
    SIGINT ignored) or under nohup (SIGHUP ignored) passes those down, and a child rightly keeps
    ignoring what it inherited ignored."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
