"""The Open Inference Protocol (KServe v2) routes, so KServe and Triton clients work unchanged.

One input, `image`: a BYTES tensor of shape [N] whose elements are encoded image files, as
base64 strings in JSON or raw in Triton's binary tensor extension (the request's
`Inference-Header-Content-Length` header). Two outputs: `label` (BYTES [N], after the server's
threshold) and `probabilities` (FP32 [N, classes], in `labels` order of GET /v2/models/{name}).
"""

from __future__ import annotations

import base64
import binascii
import json
import struct

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from edgeclass import __version__
from edgeclass.runtime.results import UNKNOWN_LABEL
from edgeclass.serve.model_info import model_name

router = APIRouter(prefix="/v2", tags=["kserve v2"])

INPUT_NAME = "image"
BINARY_HEADER = "inference-header-content-length"


class V2Error(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def v2_error_response(_request: Request, error: V2Error) -> JSONResponse:
    return JSONResponse({"error": error.message}, status_code=error.status)


@router.get("")
async def server_metadata() -> dict:
    return {"name": "edgeclass", "version": __version__, "extensions": ["binary_tensor_data"]}


@router.get("/health/live")
async def live() -> dict:
    return {"live": True}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    service = request.app.state.service
    is_ready = service.ready and not service.draining
    return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)


@router.get("/models/{name}")
async def model_metadata(name: str, request: Request) -> dict:
    classifier = _model(request, name)
    return {
        "name": name,
        "versions": ["1"],
        "platform": "onnxruntime_onnx",
        "inputs": [{"name": INPUT_NAME, "datatype": "BYTES", "shape": [-1]}],
        "outputs": [
            {"name": "label", "datatype": "BYTES", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, len(classifier.labels)]},
        ],
        "parameters": {"labels": list(classifier.labels)},
    }


@router.get("/models/{name}/ready")
async def model_ready(name: str, request: Request) -> JSONResponse:
    _model(request, name)
    return await ready(request)


@router.post("/models/{name}/infer")
async def infer(name: str, request: Request) -> JSONResponse:
    service = request.app.state.service
    classifier = _model(request, name)
    document, images = await run_in_threadpool(
        _parse_request, await request.body(), request.headers.get(BINARY_HEADER), service
    )
    request.state.images = len(images)
    labels = classifier.labels
    results = await service.classify(
        [(f"{INPUT_NAME}[{i}]", data) for i, data in enumerate(images)],
        top_k=len(labels),
        threshold=service.config.threshold,
    )
    failed = [r for r in results if not r.ok]
    if failed:
        raise V2Error(400, "; ".join(f"{r.path}: {r.status.value}: {r.message}" for r in failed))
    probabilities = []
    for result in results:
        by_label = dict(result.top_k)
        probabilities += [by_label[label] for label in labels]
    answer = {
        "model_name": name,
        "model_version": "1",
        "outputs": [
            {
                "name": "label",
                "datatype": "BYTES",
                "shape": [len(results)],
                "data": [r.label or UNKNOWN_LABEL for r in results],
            },
            {
                "name": "probabilities",
                "datatype": "FP32",
                "shape": [len(results), len(labels)],
                "data": probabilities,
            },
        ],
    }
    if isinstance(document.get("id"), str):
        answer["id"] = document["id"]
    return JSONResponse(answer)


def _parse_request(body: bytes, header_length: str | None, service) -> tuple[dict, list[bytes]]:
    """Runs on a worker thread: JSON parsing and base64 of a big body take tens of ms."""
    document, binary = _split_body(body, header_length)
    return document, _input_images(document, binary, service.config.max_images)


def _model(request: Request, name: str):
    classifier = request.app.state.service.classifier
    if name != model_name(classifier):
        raise V2Error(404, f"no model named {name!r}; this server has {model_name(classifier)!r}")
    return classifier


def _split_body(body: bytes, header_length: str | None) -> tuple[dict, bytes]:
    """The JSON header and the binary tail (Triton's binary tensor data extension)."""
    if header_length is None:
        json_part, binary = body, b""
    else:
        try:
            length = int(header_length)
        except ValueError:
            raise V2Error(400, f"{BINARY_HEADER} is not a number: {header_length!r}") from None
        if not 0 <= length <= len(body):
            raise V2Error(400, f"{BINARY_HEADER} {length} is outside the {len(body)}-byte body")
        json_part, binary = body[:length], body[length:]
    try:
        document = json.loads(json_part)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise V2Error(400, f"the inference request is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise V2Error(400, "the inference request must be a JSON object")
    return document, binary


def _input_images(document: dict, binary: bytes, max_images: int) -> list[bytes]:
    inputs = document.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        raise V2Error(400, f"expected exactly one input, {INPUT_NAME!r} (BYTES, shape [N])")
    tensor = inputs[0]
    if tensor.get("name") != INPUT_NAME or tensor.get("datatype") != "BYTES":
        raise V2Error(
            400,
            f"input {tensor.get('name')!r} ({tensor.get('datatype')}): expected "
            f"{INPUT_NAME!r} with datatype BYTES",
        )
    shape = tensor.get("shape")
    if not (isinstance(shape, list) and len(shape) == 1 and isinstance(shape[0], int)):
        raise V2Error(400, f"input {INPUT_NAME!r}: shape must be [N], got {shape!r}")
    if shape[0] > max_images:
        raise V2Error(413, f"{shape[0]} images in one request; the limit is {max_images}")
    size = (tensor.get("parameters") or {}).get("binary_data_size")
    if size is not None:
        images = _unpack_binary_bytes(binary, size)
    else:
        data = tensor.get("data")
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            raise V2Error(400, f"input {INPUT_NAME!r}: data must be a list of base64 strings")
        images = [_b64(item, index) for index, item in enumerate(data)]
    if len(images) != shape[0]:
        raise V2Error(400, f"input {INPUT_NAME!r}: shape [{shape[0]}] but {len(images)} elements")
    if not images:
        raise V2Error(400, f"input {INPUT_NAME!r} holds no images")
    return images


def _b64(text: str, index: int) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise V2Error(400, f"{INPUT_NAME}[{index}] is not valid base64") from None


def _unpack_binary_bytes(binary: bytes, size) -> list[bytes]:
    """BYTES elements in binary form: each is a 4-byte little-endian length, then the bytes."""
    if not isinstance(size, int) or size != len(binary):
        raise V2Error(400, f"binary_data_size {size!r} but {len(binary)} bytes follow the JSON")
    images, offset = [], 0
    while offset < len(binary):
        if offset + 4 > len(binary):
            raise V2Error(400, "truncated BYTES element length in the binary data")
        (length,) = struct.unpack_from("<I", binary, offset)
        offset += 4
        if offset + length > len(binary):
            raise V2Error(400, "a BYTES element runs past the end of the binary data")
        images.append(binary[offset : offset + length])
        offset += length
    return images
