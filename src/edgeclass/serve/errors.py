"""Every error answer in one place, in the shape its API uses: `{"error": "..."}` under /v2 (the
Open Inference Protocol's, which Triton's and KServe's clients read) and `{"detail": ...}`
elsewhere (FastAPI's). Also the exceptions the service raises for refused work."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Send

logger = logging.getLogger("edgeclass.serve")

RETRY_AFTER_S = 1
CLIENT_GONE = 499  # nginx's code for "the client closed the connection before the answer"


class Refused(Exception):
    """Work the server will not do; `status` and `headers` go into the answer."""

    status = 503
    reason = "refused"  # the metrics label

    def __init__(self, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.headers = {"retry-after": str(retry_after_s)} if retry_after_s else {}


class QueueFull(Refused):
    """The server holds `max_queue` images already; the client should retry shortly."""

    status, reason = 503, "queue_full"

    def __init__(self, message: str) -> None:
        super().__init__(f"server busy: {message}; retry shortly", RETRY_AFTER_S)


class RequestTimeout(Refused):
    status, reason = 504, "timeout"

    def __init__(self, message: str) -> None:
        super().__init__(f"request timed out: {message}")


class OverBudget(Refused):
    """The request asks for more work than one request may (pixels, decoding time)."""

    status, reason = 413, "request_budget"


class ClientOverBudget(Refused):
    """This client has used its share for now (pixels in flight, decoding time per minute)."""

    status, reason = 429, "client_budget"


class ClientGone(Exception):
    """The client closed its connection before the answer: its work was dropped."""


def is_v2(path: str) -> bool:
    return path == "/v2" or path.startswith("/v2/")


def error_body(path: str, detail: object) -> dict:
    if is_v2(path):
        return {"error": detail if isinstance(detail, str) else json.dumps(detail)}
    return {"detail": detail}


def error_response(
    request: Request, status: int, detail: object, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(request.url.path, detail), status_code=status, headers=headers)


async def send_error(
    send: Send, path: str, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    """An error answer straight from ASGI middleware (outside FastAPI's exception handling)."""
    payload = json.dumps(error_body(path, detail)).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(ClientGone, _client_gone)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)


def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return error_response(request, error.status_code, error.detail, error.headers)


def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    detail = [
        {key: value for key, value in item.items() if key in ("type", "loc", "msg")}
        for item in error.errors()
    ]
    return error_response(request, 422, detail)


def _refused(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Refused)
    request.app.state.service.metrics.rejected.labels(error.reason).inc()
    return error_response(request, error.status, str(error), error.headers)


def _client_gone(request: Request, _error: Exception) -> Response:
    # Nobody reads this answer; it sets the status of the access log line and the metrics.
    return Response(status_code=CLIENT_GONE)


def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("unexpected error on %s", request.url.path, exc_info=error)
    return error_response(request, 500, f"internal error: {type(error).__name__}")
