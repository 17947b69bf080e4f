"""One log line per request (client, method, path, status, images, ms) and its metrics; also
when each request started (its --timeout counts from there) and how many are in flight."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edgeclass.serve.limits import MONITORING
from edgeclass.serve.metrics import Metrics

logger = logging.getLogger("edgeclass.serve.access")

STARTED = "edgeclass.started"  # the request's start (event loop time) in scope["state"]


def request_started(scope: Scope) -> float:
    return scope.get("state", {}).get(STARTED, asyncio.get_running_loop().time())


class AccessLog:
    def __init__(self, app: ASGIApp, metrics: Metrics, service) -> None:
        self.app = app
        self.metrics = metrics
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client sees if the app dies before answering
        state = scope.setdefault("state", {})
        state[STARTED] = asyncio.get_running_loop().time()
        counted = scope["path"] not in MONITORING
        self.service.requests_in_flight += counted
        self.metrics.in_flight.set(self.service.requests_in_flight)

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.service.requests_in_flight -= counted
            self.metrics.in_flight.set(self.service.requests_in_flight)
            seconds = time.perf_counter() - start
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(path, str(status)).inc()
            self.metrics.latency.labels(path).observe(seconds)
            client = scope.get("client") or ("-", 0)
            shown = scope["path"]
            if not shown.isprintable():  # a %0A in the path must not start a fake log line
                shown = shown.encode("unicode_escape").decode("ascii")
            logger.info(
                '%s "%s %s" %d images=%d %.1fms',
                client[0],
                scope["method"],
                shown,
                status,
                state.get("images", 0),
                seconds * 1000,
            )
