"""Servers for the tests: the app in-process (TestClient or uvicorn on a thread) or the real
`edgeclass serve` command in a subprocess, always on 127.0.0.1 port 0 (the port the system picks,
read back from the server: no race with another process for a "free" port)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi", reason="the `serve` extra is not installed")
pytest.importorskip("uvicorn", reason="the `serve` extra is not installed")

from serve_helpers import wait_for_log, wait_until

from edgeclass.runtime import Classifier
from edgeclass.serve.app import create_app
from edgeclass.serve.config import ServeConfig


@pytest.fixture(scope="session")
def tiny_classifier(tiny_model_dir) -> Classifier:
    return Classifier(tiny_model_dir, threads=1, decode_threads=2)


@pytest.fixture
def make_app(tiny_classifier):
    def factory(predict=None, **settings):
        return create_app(tiny_classifier, ServeConfig(**settings), predict=predict)

    return factory


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


@pytest.fixture
def serve_process(tmp_path):
    started: list[ServeProcess] = []

    def start(*args: str, env: dict | None = None) -> ServeProcess:
        server = ServeProcess(list(args), tmp_path / f"serve-{len(started)}.log", env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
