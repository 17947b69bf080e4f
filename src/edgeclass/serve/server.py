"""Run the app under uvicorn; SIGTERM/SIGINT drain: in-flight requests finish, new ones get 503."""

from __future__ import annotations

import logging
import signal
import sys
import warnings

import uvicorn
from PIL import Image

from edgeclass.errors import EdgeclassError
from edgeclass.runtime import Classifier
from edgeclass.serve.app import create_app
from edgeclass.serve.config import ServeConfig
from edgeclass.serve.model_info import model_name

logger = logging.getLogger("edgeclass.serve")

MAX_CONNECTIONS = 1024


class DrainingServer(uvicorn.Server):
    """uvicorn's server, which also marks the service as draining on the first signal."""

    def __init__(self, config: uvicorn.Config, service) -> None:
        super().__init__(config)
        self.service = service

    def handle_exit(self, sig, frame) -> None:
        self.service.draining = True
        super().handle_exit(sig, frame)


def run_server(classifier: Classifier, config: ServeConfig) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully and return."""
    config.check()
    # Over-limit images are refused per image, with a status; Pillow's warning would repeat it.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    _log_to_stderr()
    app = create_app(classifier, config)
    server = DrainingServer(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            access_log=False,  # our own access log line has the image count and the time
            server_header=False,
            # Connections beyond this get uvicorn's own 503: a flood of idle sockets is bounded too.
            limit_concurrency=MAX_CONNECTIONS,
            timeout_graceful_shutdown=int(config.timeout_s) + 5,
            log_level="info",
        ),
        app.state.service,
    )
    where = f"http://{config.host}:{config.port}"
    logger.info(
        "serving model %r (%s) at %s; docs at %s/docs; API key %s",
        model_name(classifier),
        ", ".join(classifier.labels),
        where,
        where,
        "required" if config.api_key else "not required",
    )
    # uvicorn re-raises the signal it caught once it has shut down; ignore that echo, so a
    # graceful stop exits 0 instead of dying by the signal.
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind
        raise EdgeclassError(f"cannot listen on {config.host}:{config.port}") from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not server.started:
        raise EdgeclassError(f"cannot listen on {config.host}:{config.port}")


def _ignore(_sig, _frame) -> None:
    pass


def _log_to_stderr() -> None:
    root = logging.getLogger("edgeclass.serve")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False
