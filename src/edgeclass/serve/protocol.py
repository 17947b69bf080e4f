"""The HTTP/1.1 connection layer: uvicorn's h11 protocol with limits against slow and hostile
clients, so that one client can never stall the others.

uvicorn's default (httptools) parser has no header size limit and accumulates a header in memory
until it ends (a 100 MB header stalled every request for 25 s), and uvicorn has no deadline on a
request that never completes. h11 bounds what it buffers before a complete event
(`--max-header-kb`, answered 431), and this subclass adds what is missing:

- deadlines per phase of a connection: idle between requests (`--keep-alive`), request line and
  headers (`--header-timeout`, from their first byte), the body (`--timeout`, from the end of
  the headers) and writing the answer (`--timeout` after the body, plus a margin), whatever the
  client trickles to keep the connection alive;
- a connection cap (`--max-connections`): at the cap, a new connection closes the oldest idle
  or half-open one (still sending its request) instead of being refused, so a flood of slow
  connections cannot lock out a health check;
- a clean answer to a malformed or over-long request: the error, then a "lingering close"
  (read and discard for a moment) so the client reads the answer instead of a reset.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger("edgeclass.serve")

LINGER_S = 2.0  # how long a connection closed on an error still reads (and drops) its input
WRITE_MARGIN_S = 10.0  # past --timeout, for a client that reads its answer slowly
# The app answers a body that is late with its own 408; the connection's deadline is a backstop
# (for a body nobody reads), so it comes a little later.
BACKSTOP_MARGIN_S = 1.0


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_bytes: int = 32 * 1024
    header_timeout_s: float = 10.0
    keep_alive_s: float = 5.0
    body_timeout_s: float = 30.0
    max_connections: int = 1000


class Phase(enum.Enum):
    IDLE = "idle"  # open, waiting for the first byte of a request
    HEAD = "head"  # request line and headers arriving
    BODY = "body"  # the body arriving
    APP = "app"  # the whole request is in; the app works on it and answers
    CLOSING = "closing"  # answered an error; reading and dropping input until closed


# At the cap, the connection closed to make room: one already closing, else the oldest waiting for
# (or still receiving) a request's head, else the oldest still receiving a body.
EVICTION_ORDER = ((Phase.CLOSING,), (Phase.IDLE, Phase.HEAD), (Phase.BODY,))


class ConnectionTable:
    """The open connections of one server, oldest first. `on_close(reason)` hears of each one
    closed by a limit: "evicted" (the cap), "timeout" (a deadline), "refused" (all busy)."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self._open: dict[GuardedH11Protocol, None] = {}  # insertion order = age
        self.on_close: Callable[[str], None] = lambda reason: None

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, connection: GuardedH11Protocol) -> bool:
        """Add `connection`, closing the oldest idle or half-open one at the cap; False if every
        open connection has a request the app is working on (the new one is then refused)."""
        if len(self._open) >= self.limits.max_connections:
            victim = next(filter(None, map(self._oldest_in, EVICTION_ORDER)), None)
            if victim is None:
                self.on_close("refused")
                return False
            self.on_close("evicted")
            victim.close_now()
        self._open[connection] = None
        return True

    def remove(self, connection: GuardedH11Protocol) -> None:
        self._open.pop(connection, None)

    def _oldest_in(self, phases: tuple[Phase, ...]) -> GuardedH11Protocol | None:
        return next((c for c in self._open if c.phase in phases), None)


class _Connection(h11.Connection):
    """h11's connection, telling its protocol about each event and keeping the last error.

    h11 bounds only a head still incomplete in its buffer; a longer one that arrives whole in
    one read is measured here, so the limit holds however the bytes arrive."""

    def __init__(self, protocol: GuardedH11Protocol, max_head_bytes: int) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=max_head_bytes)
        self.protocol = protocol
        self.max_head_bytes = max_head_bytes
        self.last_error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            event = super().next_event()
            if isinstance(event, h11.Request) and _head_size(event) > self.max_head_bytes:
                raise h11.RemoteProtocolError("request head too long", error_status_hint=431)
        except h11.RemoteProtocolError as error:
            self.last_error = error
            raise
        self.protocol.on_event(event)
        return event


def _head_size(request: h11.Request) -> int:
    """The request line and header lines, as sent (give or take optional whitespace)."""
    line = len(request.method) + len(request.target) + len(b"  HTTP/1.1\r\n")
    return line + sum(len(name) + len(value) + 4 for name, value in request.headers) + 2


class GuardedH11Protocol(H11Protocol):
    """One connection. `table` is set per server by `guarded_protocol`."""

    table: ConnectionTable

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(self, self.table.limits.max_header_bytes)
        self.phase = Phase.IDLE
        self._timer: asyncio.TimerHandle | None = None

    # --- the connection's life -------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if not self.table.admit(self):
            self.answer_and_close(
                503, "too many connections, all of them busy; retry shortly", {"retry-after": "1"}
            )
            return
        self._enter(Phase.IDLE)

    def connection_lost(self, exc: Exception | None) -> None:
        self.table.remove(self)
        self._cancel_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.phase is Phase.CLOSING:
            return  # dropped: the answer is sent, the connection is closing
        if self.phase is Phase.IDLE:
            self._enter(Phase.HEAD)
        try:
            super().data_received(data)
        except UnicodeDecodeError:  # uvicorn decodes the request target as ASCII
            self.answer_and_close(400, "malformed HTTP request: a non-ASCII request target")

    def on_event(self, event: Any) -> None:
        """Called by h11 for each event, before uvicorn handles it."""
        if isinstance(event, h11.Request):
            self._enter(Phase.BODY)
        elif isinstance(event, h11.EndOfMessage) and self.conn.our_state is not h11.DONE:
            self._enter(Phase.APP)

    def on_response_complete(self) -> None:
        if self.conn.their_state is h11.DONE:  # else the body is still coming: BODY's deadline
            self._enter(Phase.IDLE)
        super().on_response_complete()  # may start a pipelined request: BODY again

    def timeout_keep_alive_handler(self) -> None:
        pass  # uvicorn's keep-alive timer; the phase deadlines here replace it

    # --- deadlines -------------------------------------------------------------------------

    def _enter(self, phase: Phase) -> None:
        self.phase = phase
        limits = self.table.limits
        seconds = {
            Phase.IDLE: limits.keep_alive_s,
            Phase.HEAD: limits.header_timeout_s,
            Phase.BODY: limits.body_timeout_s + BACKSTOP_MARGIN_S,
            Phase.APP: limits.body_timeout_s + WRITE_MARGIN_S,
            Phase.CLOSING: LINGER_S,
        }[phase]
        self._cancel_timer()
        self._timer = self.loop.call_later(seconds, self._deadline_passed, phase)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _deadline_passed(self, phase: Phase) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if phase not in (Phase.IDLE, Phase.CLOSING):
            self.table.on_close("timeout")
        if phase is Phase.HEAD:
            self.answer_and_close(408, "the request's headers did not arrive in time")
        elif phase is Phase.BODY and not (self.cycle and self.cycle.response_started):
            # The app answers 408 itself when it is reading the body; this is the backstop.
            self.answer_and_close(408, "the request's body did not arrive in time")
        else:
            self.close_now()

    # --- closing ---------------------------------------------------------------------------

    def close_now(self) -> None:
        self.table.remove(self)
        self._cancel_timer()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app's receive() says http.disconnect
            self.cycle.message_event.set()
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn calls this for a request h11 rejects; 431 when its headers are too long."""
        error = self.conn.last_error
        if error is not None and error.error_status_hint == 431:
            limit = self.table.limits.max_header_bytes
            self.answer_and_close(
                431, f"request line and headers over the limit of {limit} bytes (--max-header-kb)"
            )
        else:
            reason = str(error) if error is not None else msg
            self.answer_and_close(400, f"malformed HTTP request: {reason}")

    def answer_and_close(self, status: int, message: str, headers: dict[str, str] | None = None):
        """Write a JSON error (both shapes: the path may be unknown yet), then close lingering:
        stop sending, drop what still arrives for LINGER_S, then close."""
        if self.cycle is not None and self.cycle.response_started:
            self.close_now()
            return
        if self.cycle is not None:
            self.cycle.response_started = self.cycle.response_complete = True
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        body = json.dumps({"error": message, "detail": message}).encode()
        head = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            "content-type: application/json",
            f"content-length: {len(body)}",
            "connection: close",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        self.transport.write("\r\n".join(head).encode() + b"\r\n\r\n" + body)
        self._enter(Phase.CLOSING)
        self.transport.resume_reading()
        if self.transport.can_write_eof():
            self.transport.write_eof()
        else:
            self.transport.close()

    def shutdown(self) -> None:
        """Server shutdown: close at once unless a request is being answered."""
        if self.phase in (Phase.IDLE, Phase.HEAD, Phase.CLOSING):
            self.close_now()
        else:
            super().shutdown()


def guarded_protocol(limits: ConnectionLimits) -> tuple[type[GuardedH11Protocol], ConnectionTable]:
    """A protocol class for one server (uvicorn.Config(http=...)) and its connection table."""
    table = ConnectionTable(limits)
    protocol = type("EdgeclassH11Protocol", (GuardedH11Protocol,), {"table": table})
    return protocol, table
