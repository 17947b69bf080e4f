"""ASGI middleware that guards every route: the request body (size, time to arrive, gzip),
the API key, and refusal while draining."""

from __future__ import annotations

import asyncio
import hmac
import zlib

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edgeclass.serve.errors import RETRY_AFTER_S, send_error

# Probes must work without the key (a load balancer or systemd watchdog has none).
PROBES = frozenset({"/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"})
# Answered while draining, and not counted as work in flight.
MONITORING = PROBES | {"/metrics"}
# The API docs hold no data (the schema, Swagger UI's files): a browser opens them without a key
# and sends the key from the page's Authorize button.
DOCS = frozenset({"/docs", "/openapi.json"})
DOCS_ASSETS = "/docs-assets/"
CLOSE = {"connection": "close"}
BODILESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
# zlib's wbits for a gzip stream, and for either zlib or raw deflate (as HTTP's "deflate" is
# sent both ways in the wild).
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def is_open(path: str) -> bool:
    return path in PROBES or path in DOCS or path.startswith(DOCS_ASSETS)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestBody:
    """The body as the app reads it: at most `max_bytes` (after decompressing a gzip or deflate
    body: a 20 MB gzip bomb stops at the limit, not at 20 GB), arrived within `timeout_s` of the
    request's start; else 413 or 408. Checked on Content-Length before anything is read."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    def _too_large(self, what: str = "request body") -> HTTPException:
        return HTTPException(
            413, f"{what} over the limit of {self.max_bytes} bytes (--max-body-mb)", CLOSE
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODILESS:
            await self.app(scope, receive, send)  # no route reads their bodies
            return
        path = scope["path"]
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            error = self._too_large()
            await send_error(send, path, 413, error.detail, CLOSE)
            return
        encoding = (_header(scope, b"content-encoding") or "identity").strip().lower()
        if encoding not in ("identity", *_DECODERS):
            await send_error(
                send,
                path,
                415,
                f"Content-Encoding {encoding!r} is not supported: send gzip, deflate or none",
                CLOSE,
            )
            return
        decoder = _Decoder(encoding, self.max_bytes) if encoding != "identity" else None
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        received = 0
        complete = False

        async def guarded_receive() -> Message:
            nonlocal received, complete
            if complete:  # the whole body is in: now only a disconnect can come
                return await receive()
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), max(remaining, 0))
            except asyncio.TimeoutError:
                raise HTTPException(
                    408, f"the request body did not arrive within {self.timeout_s:g} s", CLOSE
                ) from None
            if message["type"] != "http.request":
                return message
            complete = not message.get("more_body", False)
            body = message.get("body", b"")
            if decoder is not None:
                body = decoder.feed(body, final=complete)
            received += len(body)
            if received > self.max_bytes:
                # Raised inside the route's body read, so the app answers it as a 413.
                raise self._too_large("decompressed body" if decoder else "request body")
            return {**message, "body": body}

        await self.app(scope, guarded_receive, send)


class _Decoder:
    """Inflate a gzip or deflate body piece by piece, never more than `limit` + 1 bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self.produced = 0
        self._inflate = zlib.decompressobj(_DECODERS[encoding])
        self._started = False

    def feed(self, data: bytes, *, final: bool) -> bytes:
        if self.encoding == "deflate" and not self._started and data:
            self._started = True
            zlib_header = (
                len(data) > 1 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            )
            if not zlib_header:  # raw deflate
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            out = self._inflate.decompress(data, self.limit + 1 - self.produced)
            if final and len(out) + self.produced <= self.limit:
                out += self._inflate.flush()
        except zlib.error as error:
            raise HTTPException(
                400, f"the {self.encoding} body is corrupt: {error}", CLOSE
            ) from None
        self.produced += len(out)
        if final and not self._inflate.eof and self.produced <= self.limit:
            raise HTTPException(400, f"the {self.encoding} body is truncated", CLOSE)
        return out


class ApiKey:
    """Every route but the probes and the docs needs `Authorization: Bearer <key>` (the scheme
    in any case, as HTTP says) when a key is set."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.expected = key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_open(scope["path"]):
            scheme, _, token = (_header(scope, b"authorization") or "").strip().partition(" ")
            given = token.strip().encode("latin-1") if scheme.lower() == "bearer" else b""
            if not hmac.compare_digest(given, self.expected):
                await send_error(
                    send,
                    scope["path"],
                    401,
                    "missing or wrong API key: send 'Authorization: Bearer <key>'",
                    {"www-authenticate": "Bearer"},
                )
                return
        await self.app(scope, receive, send)


class RefuseWhileDraining:
    """Once shutdown has begun, new requests get 503 (in-flight ones finish normally); the
    probes and /metrics still answer (/readyz and /v2/health/ready say 503 themselves)."""

    def __init__(self, app: ASGIApp, service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.service.draining and scope["path"] not in MONITORING:
            await send_error(
                send,
                scope["path"],
                503,
                "the server is shutting down",
                {"retry-after": str(RETRY_AFTER_S), **CLOSE},
            )
            return
        await self.app(scope, receive, send)
