"""Run the app under uvicorn (its h11 protocol with edgeclass's connection limits).

SIGTERM or SIGINT starts a drain: the server keeps listening, answers new requests 503 (and
/readyz 503) while the requests already in flight finish, then closes and returns. A second
SIGINT (Ctrl+C twice) stops at once.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import time
import warnings

import uvicorn
from PIL import Image

from edgeclass.errors import EdgeclassError
from edgeclass.runtime import Classifier
from edgeclass.serve.app import create_app
from edgeclass.serve.config import ServeConfig
from edgeclass.serve.model_info import model_name
from edgeclass.serve.protocol import ConnectionLimits, guarded_protocol
from edgeclass.serve.service import InferenceService

logger = logging.getLogger("edgeclass.serve")

# File descriptors the process needs besides its connections: the listener, the model, logs,
# thread pools, an upload being read.
SPARE_FILES = 64
DRAIN_MARGIN_S = 5.0  # past --timeout: the longest a drain waits for requests in flight


class DrainingServer(uvicorn.Server):
    """uvicorn's server; the first signal drains instead of closing the listener at once."""

    def __init__(self, config: uvicorn.Config, service: InferenceService) -> None:
        super().__init__(config)
        self.service = service
        self.drain_deadline: float | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            # Tests and scripts started with --port 0 read the port from this line.
            logger.info("listening on http://%s:%d", host, port)

    def handle_exit(self, sig: int, frame) -> None:
        if self.drain_deadline is None:
            logger.info("draining: new requests get 503 while %d in flight finish", self._busy())
            self.service.draining = True
            self.drain_deadline = time.monotonic() + self.service.config.timeout_s + DRAIN_MARGIN_S
        else:  # a second signal: stop now
            self.should_exit = True
            self.force_exit = sig == signal.SIGINT

    async def on_tick(self, counter: int) -> bool:
        if self.drain_deadline is not None and not self.should_exit:
            self.should_exit = self._busy() == 0 or time.monotonic() > self.drain_deadline
        return await super().on_tick(counter)

    def _busy(self) -> int:
        """Requests being worked on, not counting the health probes answered during the drain."""
        return self.service.requests_in_flight


def run_server(classifier: Classifier, config: ServeConfig) -> None:
    """Serve until SIGTERM or SIGINT, then drain, shut down and return."""
    config.check()
    # Over-limit images are refused per image, with a status; Pillow's warning would repeat it.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    _log_to_stderr()
    limits = ConnectionLimits(
        max_header_bytes=config.max_header_bytes,
        header_timeout_s=config.header_timeout_s,
        keep_alive_s=config.keep_alive_s,
        body_timeout_s=config.timeout_s,
        max_connections=_room_for_connections(config.max_connections),
    )
    protocol, table = guarded_protocol(limits)
    app = create_app(classifier, config)
    app.state.service.metrics.watch_connections(table)
    server = DrainingServer(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            http=protocol,
            ws="none",  # no WebSocket routes; an upgrade would leave the connection table
            access_log=False,  # our own access log line has the image count and the time
            server_header=False,
            timeout_keep_alive=int(config.keep_alive_s) or 1,
            timeout_graceful_shutdown=int(config.timeout_s) + 5,
            log_level="info",
        ),
        app.state.service,
    )
    logger.info(
        "serving model %r (%s) on %s; docs at /docs; API key %s",
        model_name(classifier),
        ", ".join(classifier.labels),
        config.host,
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


def _room_for_connections(wanted: int) -> int:
    """Raise the open-file limit for `wanted` connections if the system allows; else fewer."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < needed:
        fewer = max(soft - SPARE_FILES, 16)
        logger.warning(
            "--max-connections %d: the open-file limit is %d, so at most %d connections",
            wanted,
            soft,
            fewer,
        )
        return fewer
    return wanted


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
