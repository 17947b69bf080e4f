"""The edgeclass API: /v1/classify, /v1/model, /healthz, /readyz and /metrics."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from edgeclass.serve.disconnect import unless_client_leaves
from edgeclass.serve.inputs import parse_classify_request
from edgeclass.serve.metrics import CONTENT_TYPE
from edgeclass.serve.model_info import model_info
from edgeclass.serve.requests import client_of, time_left

router = APIRouter()


@router.post("/v1/classify", tags=["classify"])
async def classify(request: Request) -> JSONResponse:
    """Classify one or many images; one result per image, in request order.

    Each result is the object `edgeclass classify --format json` writes (`path` is the name the
    client gave). A bad image is its own result with a status; the others are still classified.
    A request with a single image that cannot be classified answers 422 with that result.
    """
    service = request.app.state.service
    config = service.config
    parsed = await parse_classify_request(request, config.max_images)
    request.state.images = len(parsed.images)
    top_k = _in_range(parsed.top_k, request, "top_k", int, config.top_k, 1, None)
    threshold = _in_range(parsed.threshold, request, "threshold", float, config.threshold, 0.0, 1.0)
    results = await unless_client_leaves(
        request,
        service.classify(
            parsed.images,
            client=client_of(request),
            top_k=top_k,
            threshold=threshold,
            timeout_s=time_left(request),
        ),
    )
    body = {"results": [result.to_dict() for result in results]}
    if len(results) == 1 and not results[0].ok:
        only = results[0]
        body["detail"] = f"{only.path}: {only.status.value}: {only.message}"
        return JSONResponse(body, status_code=422)
    return JSONResponse(body)


def _in_range(value, request: Request, name: str, kind, default, low, high):
    """A value from the body, else from the query string, else the server's default."""
    if value is None:
        text = request.query_params.get(name)
        if text is None:
            return default
        try:
            value = kind(text)
        except ValueError:
            raise HTTPException(422, f"{name}={text!r} is not a number") from None
    if not (low <= value and (high is None or value <= high)):  # NaN fails too
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise HTTPException(422, f"{name} must be {bounds}, got {value}")
    return value


@router.get("/v1/model", tags=["classify"])
async def model(request: Request) -> dict:
    """The model being served: labels, input size, its card's summary, quantization figures."""
    return model_info(request.app.state.service.classifier)


@router.get("/healthz", tags=["health"])
async def healthz() -> dict:
    """The process is up and answering."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
async def readyz(request: Request) -> JSONResponse:
    """200 once the model is loaded and the batcher runs; 503 before, and while shutting down."""
    service = request.app.state.service
    if service.ready and not service.draining:
        return JSONResponse({"status": "ready"})
    status = "draining" if service.draining else "not ready"
    return JSONResponse({"status": status}, status_code=503, headers={"retry-after": "1"})


@router.get("/metrics", tags=["health"])
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests by status, latency, batch sizes, queue depth."""
    return Response(request.app.state.service.metrics.render(), media_type=CONTENT_TYPE)
