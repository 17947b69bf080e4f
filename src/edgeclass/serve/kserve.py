"""The Open Inference Protocol (KServe v2) routes, so KServe and Triton clients work unchanged.

One input, `image`: a BYTES tensor of shape [N] whose elements are encoded image files, as
base64 strings in JSON or raw in Triton's binary tensor extension (the request's
`Inference-Header-Content-Length` header). Two outputs: `label` (BYTES [N], after the server's
threshold) and `probabilities` (FP32 [N, classes], in `labels` order of GET /v2/models/{name}).
A request may ask for some outputs only, and for any of them in binary form (`binary_data` on
the output, or `binary_data_output` on the request, as Triton's clients do). The one version
of the model is "1", at /v2/models/{name} and /v2/models/{name}/versions/1 alike. Errors are
`{"error": "..."}` (edgeclass.serve.errors).
"""

from __future__ import annotations

import base64
import binascii
import reprlib
import struct
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edgeclass import __version__
from edgeclass.runtime.results import UNKNOWN_LABEL
from edgeclass.serve.disconnect import unless_client_leaves
from edgeclass.serve.json_body import BadJson, load_json
from edgeclass.serve.model_info import model_name
from edgeclass.serve.requests import client_of, time_left

router = APIRouter(prefix="/v2", tags=["kserve v2"])

INPUT_NAME = "image"
OUTPUTS = ("label", "probabilities")
VERSION = "1"
BINARY_HEADER = "inference-header-content-length"
_shortener = reprlib.Repr()  # client values in messages, cut short
_shortener.maxstring = _shortener.maxother = 60
_short = _shortener.repr


# --- the request body, as the protocol defines it (also the OpenAPI schema) -----------------


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True)


class RequestInput(_Strict):
    name: Literal["image"]
    shape: list[Annotated[int, Field(ge=0)]] = Field(
        min_length=1, max_length=1, description="[N]: the number of images"
    )
    datatype: Literal["BYTES"]
    parameters: dict[str, Any] | None = Field(
        None, description="`binary_data_size`: the bytes of this input after the JSON"
    )
    data: list[Any] | None = Field(
        None, description="BYTES: the encoded image files in base64, when not sent as binary data"
    )


class RequestOutput(_Strict):
    name: str = Field(description="`label` or `probabilities`")
    parameters: dict[str, Any] | None = Field(
        None, description="`binary_data`: true for this output's data in binary form"
    )


class InferenceRequest(_Strict):
    id: str | None = None
    parameters: dict[str, Any] | None = Field(
        None, description="`binary_data_output`: true for every output in binary form"
    )
    inputs: list[RequestInput] = Field(min_length=1, max_length=1)
    outputs: list[RequestOutput] | None = Field(
        None, description="the outputs wanted (default: both)"
    )


class ParsedInference:
    def __init__(self, request: InferenceRequest, images: list[bytes]) -> None:
        self.id = request.id
        self.images = images
        binary_default = bool((request.parameters or {}).get("binary_data_output", False))
        wanted = request.outputs or [RequestOutput(name=name) for name in OUTPUTS]
        self.outputs: dict[str, bool] = {}  # name -> in binary form
        for output in wanted:
            if output.name not in OUTPUTS:
                raise HTTPException(
                    400,
                    f"no output {_short(output.name)}: this model has 'label' and 'probabilities'",
                )
            parameters = output.parameters or {}
            if "classification" in parameters:
                raise HTTPException(
                    400, "the classification extension is not supported: read `label`"
                )
            self.outputs[output.name] = bool(parameters.get("binary_data", binary_default))


# --- health and metadata ----------------------------------------------------------------------


@router.get("")
async def server_metadata() -> dict:
    """The server's name, version and protocol extensions."""
    return {"name": "edgeclass", "version": __version__, "extensions": ["binary_tensor_data"]}


@router.get("/health/live")
async def live() -> dict:
    """The process is up (no key needed)."""
    return {"live": True}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    """200 when the model is ready; 503 before that and while shutting down (no key needed)."""
    service = request.app.state.service
    is_ready = service.ready and not service.draining
    return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)


@router.get("/models/{name}")
async def model_metadata(name: str, request: Request) -> dict:
    """The model's inputs, outputs and labels."""
    return _metadata(request, name)


@router.get("/models/{name}/versions/{version}")
async def model_version_metadata(name: str, version: str, request: Request) -> dict:
    """The same as /v2/models/{name}: the model has one version, "1"."""
    return _metadata(request, name, version)


@router.get("/models/{name}/ready")
async def model_ready(name: str, request: Request) -> JSONResponse:
    """Whether the model is ready: 200, else 503."""
    _model(request, name)
    return await ready(request)


@router.get("/models/{name}/versions/{version}/ready")
async def model_version_ready(name: str, version: str, request: Request) -> JSONResponse:
    """Whether the model is ready: 200, else 503."""
    _model(request, name, version)
    return await ready(request)


def _metadata(request: Request, name: str, version: str = VERSION) -> dict:
    classifier = _model(request, name, version)
    return {
        "name": name,
        "versions": [VERSION],
        "platform": "onnxruntime_onnx",
        "inputs": [{"name": INPUT_NAME, "datatype": "BYTES", "shape": [-1]}],
        "outputs": [
            {"name": "label", "datatype": "BYTES", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, len(classifier.labels)]},
        ],
        "parameters": {"labels": list(classifier.labels)},
    }


def _model(request: Request, name: str, version: str = VERSION):
    classifier = request.app.state.service.classifier
    if name != model_name(classifier):
        raise HTTPException(
            404, f"no model named {_short(name)}; this server has {model_name(classifier)!r}"
        )
    if version != VERSION:
        raise HTTPException(
            404, f"model {_short(name)} has no version {_short(version)}; it has {VERSION!r}"
        )
    return classifier


# --- inference --------------------------------------------------------------------------------


@router.post("/models/{name}/infer")
async def infer(name: str, request: Request) -> Response:
    """Classify the images of the `image` input."""
    return await _infer(request, name)


@router.post("/models/{name}/versions/{version}/infer")
async def infer_version(name: str, version: str, request: Request) -> Response:
    """The same as /v2/models/{name}/infer: the model has one version, "1"."""
    return await _infer(request, name, version)


async def _infer(request: Request, name: str, version: str = VERSION) -> Response:
    service = request.app.state.service
    classifier = _model(request, name, version)
    parsed = await run_in_threadpool(
        _parse_request,
        await request.body(),
        request.headers.get(BINARY_HEADER),
        service.config.max_images,
    )
    request.state.images = len(parsed.images)
    labels = classifier.labels
    results = await unless_client_leaves(
        request,
        service.classify(
            [(f"{INPUT_NAME}[{i}]", data) for i, data in enumerate(parsed.images)],
            client=client_of(request),
            top_k=len(labels),
            threshold=service.config.threshold,
            timeout_s=time_left(request),
        ),
    )
    failed = [r for r in results if not r.ok]
    if failed:
        raise HTTPException(
            400, "; ".join(f"{r.path}: {r.status.value}: {r.message}" for r in failed)
        )
    probabilities = np.array(
        [[dict(result.top_k)[label] for label in labels] for result in results], dtype=np.float32
    )
    tensors = {
        "label": ("BYTES", [len(results)], [r.label or UNKNOWN_LABEL for r in results]),
        "probabilities": ("FP32", list(probabilities.shape), probabilities),
    }
    outputs, binary = [], []
    for output_name, as_binary in parsed.outputs.items():
        datatype, shape, values = tensors[output_name]
        tensor: dict[str, Any] = {"name": output_name, "datatype": datatype, "shape": shape}
        if as_binary:
            raw = _bytes_tensor(values) if datatype == "BYTES" else values.astype("<f4").tobytes()
            tensor["parameters"] = {"binary_data_size": len(raw)}
            binary.append(raw)
        else:
            tensor["data"] = values if datatype == "BYTES" else values.ravel().tolist()
        outputs.append(tensor)
    answer: dict[str, Any] = {"model_name": name, "model_version": VERSION, "outputs": outputs}
    if parsed.id is not None:
        answer["id"] = parsed.id
    if not binary:
        return JSONResponse(answer)
    header = JSONResponse(answer).body
    return Response(
        bytes(header) + b"".join(binary),
        media_type="application/octet-stream",
        headers={BINARY_HEADER: str(len(header))},
    )


def _bytes_tensor(values: list[str]) -> bytes:
    """BYTES elements in binary form: each is a 4-byte little-endian length, then the bytes."""
    encoded = [value.encode() for value in values]
    return b"".join(struct.pack("<I", len(item)) + item for item in encoded)


def _parse_request(body: bytes, header_length: str | None, max_images: int) -> ParsedInference:
    """Runs on a worker thread: JSON parsing and base64 of a big body take tens of ms."""
    json_part, binary = _split_body(body, header_length)
    try:
        document = load_json(json_part, "the inference request")
    except BadJson as error:
        raise HTTPException(400, str(error)) from None
    try:
        request = InferenceRequest.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc'])) or 'body'}: {item['msg']}"
            for item in error.errors(include_url=False)
        )
        raise HTTPException(400, f"not an inference request: {problems}") from None
    return ParsedInference(request, _input_images(request.inputs[0], binary, max_images))


def _split_body(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    """The JSON header and the binary tail (Triton's binary tensor data extension)."""
    if header_length is None:
        return body, b""
    try:
        length = int(header_length)
    except ValueError:
        raise HTTPException(
            400, f"{BINARY_HEADER} is not a number: {_short(header_length)}"
        ) from None
    if not 0 <= length <= len(body):
        raise HTTPException(400, f"{BINARY_HEADER} {length} is outside the {len(body)}-byte body")
    return body[:length], body[length:]


def _input_images(tensor: RequestInput, binary: bytes, max_images: int) -> list[bytes]:
    if tensor.name != INPUT_NAME or tensor.datatype != "BYTES":
        raise HTTPException(
            400,
            f"input {_short(tensor.name)} ({_short(tensor.datatype)}): expected {INPUT_NAME!r} "
            "with datatype BYTES",
        )
    shape = tensor.shape
    if len(shape) != 1 or shape[0] < 0:
        raise HTTPException(400, f"input {INPUT_NAME!r}: shape must be [N], got {shape}")
    if shape[0] > max_images:
        raise HTTPException(413, f"{shape[0]} images in one request; the limit is {max_images}")
    size = (tensor.parameters or {}).get("binary_data_size")
    if size is not None:
        images = _unpack_binary_bytes(binary, size)
    elif tensor.data is None:
        raise HTTPException(400, f"input {INPUT_NAME!r} has neither data nor binary_data_size")
    elif not all(isinstance(item, str) for item in tensor.data):
        raise HTTPException(400, f"input {INPUT_NAME!r}: data must be a list of base64 strings")
    else:
        images = [_b64(item, index) for index, item in enumerate(tensor.data)]
    if len(images) != shape[0]:
        raise HTTPException(
            400, f"input {INPUT_NAME!r}: shape [{shape[0]}] but {len(images)} elements"
        )
    if not images:
        raise HTTPException(400, f"input {INPUT_NAME!r} holds no images")
    return images


def _b64(text: str, index: int) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(400, f"{INPUT_NAME}[{index}] is not valid base64") from None


def _unpack_binary_bytes(binary: bytes, size: object) -> list[bytes]:
    if not isinstance(size, int) or isinstance(size, bool) or size != len(binary):
        raise HTTPException(
            400, f"binary_data_size {_short(size)} but {len(binary)} bytes follow the JSON"
        )
    images, offset = [], 0
    while offset < len(binary):
        if offset + 4 > len(binary):
            raise HTTPException(400, "truncated BYTES element length in the binary data")
        (length,) = struct.unpack_from("<I", binary, offset)
        offset += 4
        if offset + length > len(binary):
            raise HTTPException(400, "a BYTES element runs past the end of the binary data")
        images.append(binary[offset : offset + length])
        offset += length
    return images
