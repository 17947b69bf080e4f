"""What the routes need to know about the request itself: who sent it, how long it has left."""

from __future__ import annotations

import asyncio

from starlette.requests import Request

from edgeclass.serve.access_log import request_started


def client_of(request: Request) -> str:
    """The client's address, as the access log shows it (a trusted proxy's X-Forwarded-For
    included): the unit of the per-client budgets."""
    return request.client.host if request.client else "-"


def time_left(request: Request) -> float:
    """Seconds left of --timeout, counted from the end of the request's headers."""
    elapsed = asyncio.get_running_loop().time() - request_started(request.scope)
    return request.app.state.service.config.timeout_s - elapsed
