"""Servers for the tests: the app in-process (TestClient or uvicorn on a thread) or the real
`edgeclass serve` command in a subprocess, always on 127.0.0.1 port 0 (the port the system picks,
read back from the server: no race with another process for a "free" port)."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the `serve` extra is not installed")
pytest.importorskip("uvicorn", reason="the `serve` extra is not installed")

from serve_helpers import ServeProcess

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
