"""Stop a request's work when its client goes away."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request

from edgeclass.serve.errors import ClientGone

T = TypeVar("T")


async def unless_client_leaves(request: Request, work: Awaitable[T]) -> T:
    """The result of `work`; if the client disconnects first, `work` is cancelled (its images
    leave the queue, undecoded ones are never decoded) and ClientGone is raised.

    Call it once the request's body has been read: from then on the ASGI server's receive()
    returns only when the client disconnects (or the answer is complete)."""
    working = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({working, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:  # also when this request itself is cancelled
        gone.cancel()
        if not working.done():
            working.cancel()
            await asyncio.gather(working, return_exceptions=True)  # its clean-up runs now
    if working.cancelled():
        raise ClientGone()
    return working.result()


async def _disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
