"""ASGI middleware that guards every route: body size, API key, and refusal while draining."""

from __future__ import annotations

import hmac
import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

# Probes must work without the key (a load balancer or systemd watchdog has none).
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"})
RETRY_AFTER_S = 1


async def send_json(
    send: Send, status: int, body: dict, headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(body).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class BodyLimit:
    """413 for a body over `max_bytes`: from Content-Length at once, else while it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> str:
        return f"request body over the limit of {self.max_bytes} bytes (--max-body-mb)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            await send_json(send, 413, {"detail": self._too_large()}, {"connection": "close"})
            return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body read, so the app answers it as a 413.
                    raise HTTPException(413, self._too_large(), {"connection": "close"})
            return message

        await self.app(scope, limited_receive, send)


class ApiKey:
    """Every route but the health probes needs `Authorization: Bearer <key>` when a key is set."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.expected = f"Bearer {key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in OPEN_PATHS:
            given = (_header(scope, b"authorization") or "").encode("latin-1")
            if not hmac.compare_digest(given, self.expected):
                await send_json(
                    send,
                    401,
                    {"detail": "missing or wrong API key: send 'Authorization: Bearer <key>'"},
                    {"www-authenticate": "Bearer"},
                )
                return
        await self.app(scope, receive, send)


class RefuseWhileDraining:
    """Once shutdown has begun, new requests get 503 (in-flight ones finish normally)."""

    def __init__(self, app: ASGIApp, service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.service.draining:
            await send_json(
                send,
                503,
                {"detail": "the server is shutting down"},
                {"retry-after": str(RETRY_AFTER_S), "connection": "close"},
            )
            return
        await self.app(scope, receive, send)
