"""Helpers for the serve tests: real servers on port 0 (uvicorn on a thread with edgeclass's
connection layer), raw HTTP over sockets with a deadline on every read, polling, and comparing
result dicts (every field equal, scores to float32 rounding)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from edgeclass.serve.protocol import ConnectionLimits, guarded_protocol


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


def wait_until(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_for_log(log: Path, pattern: str, timeout: float = 30.0) -> re.Match:
    """The first match of `pattern` in the log file, polled until it is written."""
    found: list[re.Match] = []

    def written() -> bool:
        match = re.search(pattern, log.read_text(errors="replace")) if log.exists() else None
        if match:
            found.append(match)
        return match is not None

    wait_until(written, timeout, f"{pattern!r} in {log.name}")
    return found[0]


@contextlib.contextmanager
def uvicorn_thread(app, limits: ConnectionLimits | None = None) -> Iterator[str]:
    """A real uvicorn server for `app` on a thread, on port 0, with edgeclass's connection
    layer (edgeclass.serve.protocol); yields its base URL."""
    protocol, _ = guarded_protocol(limits or ConnectionLimits())
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            http=protocol,
            ws="none",
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), what="uvicorn to start")
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_response(sock: socket.socket, timeout: float = 30.0) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one HTTP/1.1 answer with a Content-Length; every read has a
    deadline. Raises ConnectionError if the server closes first."""
    deadline = time.monotonic() + timeout
    data = b""

    def more() -> None:
        nonlocal data
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed by the server after {data[:200]!r}")
        data += chunk

    while b"\r\n\r\n" not in data:
        more()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        more()
        body = data.partition(b"\r\n\r\n")[2]
    return status, headers, body[:length]


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """True once the server has closed the connection (EOF or reset), reading and dropping any
    answer it sent first; False if it is still open after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            return False
        except OSError:  # reset
            return True
    return False


def request_bytes(method: str, path: str, headers: dict[str, str] | None = None, body=b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def get_json(port: int, path: str, timeout: float = 10.0) -> tuple[int, dict]:
    with connect(port, timeout) as sock:
        sock.sendall(request_bytes("GET", path, {"Connection": "close"}))
        status, _, body = read_response(sock, timeout)
    return status, json.loads(body)


def probe_health(port: int, seconds: float, interval: float = 0.1) -> list[float | None]:
    """GET /healthz on a new connection every `interval` for `seconds`: each probe's time, or
    None if it got no 200 within 1 s."""
    times: list[float | None] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            with connect(port, 1.0) as sock:
                sock.sendall(request_bytes("GET", "/healthz", {"Connection": "close"}))
                status, _, _ = read_response(sock, max(1.0 - (time.monotonic() - start), 0.01))
            took = time.monotonic() - start
            times.append(took if status == 200 and took <= 1.0 else None)
        except OSError:
            times.append(None)
        time.sleep(interval)
    return times


class ServeProcess:
    """`edgeclass serve` in a subprocess; stderr goes to a file the test can read."""

    def __init__(self, args: list[str], log: Path, env: dict | None = None) -> None:
        self.port = 0
        self.url = ""
        self.log = log
        command = [sys.executable, "-m", "edgeclass", "serve", "--port", "0", *args]
        self._log_file = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            command, stdout=self._log_file, stderr=subprocess.STDOUT, env=env or os.environ.copy()
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        def listening() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log.read_text()}")
            return "listening on http://" in self.log.read_text(errors="replace")

        wait_until(listening, timeout, "the server to listen")
        self.port = int(wait_for_log(self.log, r"listening on http://127\.0\.0\.1:(\d+)")[1])
        self.url = f"http://127.0.0.1:{self.port}"

        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log.read_text()}")
            try:
                return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, timeout, "the server to be ready")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._log_file.close()
