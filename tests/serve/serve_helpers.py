"""Helpers for the serve tests: a real uvicorn server on a thread, waiting, comparing result
dicts (every field equal, scores to float32 rounding)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn


def assert_same_result(got: dict, expected: dict) -> None:
    got, expected = dict(got), dict(expected)
    got_top = got.pop("top_k")
    expected_top = expected.pop("top_k")
    got_score, expected_score = got.pop("score"), expected.pop("score")
    assert got == expected
    assert [t["label"] for t in got_top] == [t["label"] for t in expected_top]
    assert [t["score"] for t in got_top] == pytest.approx(
        [t["score"] for t in expected_top], abs=1e-6
    )
    assert (got_score is None) == (expected_score is None)
    if got_score is not None:
        assert got_score == pytest.approx(expected_score, abs=1e-6)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@contextlib.contextmanager
def uvicorn_thread(app) -> Iterator[str]:
    """A real uvicorn server for `app` on a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, what="uvicorn to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
