"""Work budgets: how much decoding one request, and one client, may cause.

Bytes are a poor measure of work: a 236 KB PNG can declare 9000x9000 pixels and cost seconds of
CPU and hundreds of MB to decode. So a request is weighed by the pixels its images' headers
declare (read without decoding) before any work starts, and by the time its decodes really take
while they run. A client (its address, as the access log shows it) is weighed by the pixels it
has in the server at once and by its decoding time over the last minute.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from edgeclass.serve.errors import ClientOverBudget, OverBudget

MEGA = 1_000_000


def declared_pixels(data: bytes) -> int:
    """width x height from the image's header, without decoding it; 0 when the header cannot
    be read (the decode then says why, as that image's status)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # any unreadable header: not this function's to report
        return 0
    return width * height


def check_request_pixels(pixels: list[int], max_request_mp: float) -> None:
    total = sum(pixels)
    if total > max_request_mp * MEGA:
        raise OverBudget(
            f"the {len(pixels)} images of this request declare {total / MEGA:,.0f} megapixels; "
            f"one request may have at most {max_request_mp:g} (--max-request-mp): send fewer or "
            "smaller images per request"
        )


@dataclass
class RequestDecoding:
    """One request's decoding time so far, shared by the decode threads working on it."""

    limit_s: float
    spent_s: float = 0.0
    decoded: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def may_start(self) -> bool:
        with self._lock:
            return self.spent_s < self.limit_s

    def charge(self, seconds: float) -> None:
        with self._lock:
            self.spent_s += seconds
            self.decoded += 1

    def refusal(self, images: int) -> OverBudget:
        return OverBudget(
            f"decoding this request's images took {self.spent_s:.1f} s, over the {self.limit_s:g}"
            f" s one request may use (--max-request-decode-s) after {self.decoded} of its {images}"
            " images: send fewer or smaller images per request"
        )


@dataclass
class _Client:
    pixels: int = 0  # declared by its requests in the server now
    decode_s: float = 0.0  # what is left of its decoding time (a token bucket); may go below 0
    updated: float = 0.0


class ClientBudgets:
    """Per-client shares: pixels in the server at once, and decoding seconds per minute (a token
    bucket that refills continuously; a client may start work while it holds any)."""

    def __init__(
        self,
        max_mp: float,
        decode_s_per_min: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_pixels = int(max_mp * MEGA)
        self.capacity = decode_s_per_min
        self.refill_per_s = decode_s_per_min / 60
        self._clock = clock
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()

    def admit(self, client: str, pixels: int) -> None:
        """Reserve `pixels` for `client`, or raise ClientOverBudget (429) with a Retry-After."""
        with self._lock:
            state = self._refilled(client)
            if state.decode_s <= 0:
                wait = math.ceil(-state.decode_s / self.refill_per_s) + 1
                raise ClientOverBudget(
                    f"this client used its {self.capacity:g} s of decoding per minute "
                    f"(--client-decode-s); retry in {wait} s",
                    wait,
                )
            if state.pixels + pixels > self.max_pixels:
                raise ClientOverBudget(
                    f"this client has {state.pixels / MEGA:,.0f} megapixels in the server "
                    f"already; with this request's {pixels / MEGA:,.0f} that is over the "
                    f"{self.max_pixels / MEGA:g} one client may have at once (--max-client-mp); "
                    "retry when its requests are answered",
                    1,
                )
            state.pixels += pixels

    def release(self, client: str, pixels: int) -> None:
        with self._lock:
            state = self._refilled(client)
            state.pixels -= pixels
            if state.pixels <= 0 and state.decode_s >= self.capacity:
                del self._clients[client]  # nothing to remember: forget it

    def charge(self, client: str, seconds: float) -> None:
        with self._lock:
            self._refilled(client).decode_s -= seconds

    def _refilled(self, client: str) -> _Client:
        now = self._clock()
        state = self._clients.get(client)
        if state is None:
            state = self._clients[client] = _Client(decode_s=self.capacity, updated=now)
        state.decode_s = min(
            self.capacity, state.decode_s + (now - state.updated) * self.refill_per_s
        )
        state.updated = now
        return state
