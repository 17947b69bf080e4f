"""Turn a /v1/classify request into [(name, image bytes)], or an HTTP error that says why.

Three body types: multipart files, JSON with base64 images, or one raw image (`image/*`).
Names are only labels for the results: nothing here (or anywhere in the server) opens them.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError

from edgeclass.serve.json_body import BadJson, load_json
from edgeclass.serve.multipart import boundary_of, read_form


class ImageIn(BaseModel):
    name: str = Field("", description="echoed back as the result's `path`; never opened")
    data: str = Field(description="the encoded image file (JPEG, PNG, ...) in base64")


class ClassifyJson(BaseModel):
    images: list[ImageIn] = Field(min_length=1)
    top_k: int | None = Field(None, ge=1, description="best labels per image (default 1)")
    threshold: float | None = Field(
        None, ge=0, le=1, description="label `unknown` under this probability"
    )


@dataclass
class Parsed:
    images: list[tuple[str, bytes]]
    top_k: int | None = None
    threshold: float | None = None


def too_many(count: int, limit: int) -> HTTPException:
    return HTTPException(413, f"{count} images in one request; the limit is {limit} (--max-images)")


async def parse_classify_request(request: Request, max_images: int) -> Parsed:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json":
        # A 20 MB body takes tens of ms to parse and un-base64: not on the event loop.
        return await run_in_threadpool(_parse_json, await request.body(), max_images)
    if media_type == "multipart/form-data":
        return await _parse_multipart(request, content_type, max_images)
    if media_type.startswith("image/"):
        name = request.query_params.get("name", "image")
        return Parsed(images=[(name, await request.body())])
    raise HTTPException(
        415,
        f"unsupported Content-Type {media_type or '(none)'!r}: send multipart/form-data "
        'files, application/json {"images": [{"name": ..., "data": <base64>}]}, or one '
        "image/* body",
    )


def _parse_json(body: bytes, max_images: int) -> Parsed:
    try:
        document = load_json(body)
    except BadJson as error:
        raise HTTPException(400, str(error)) from None
    listed = document.get("images") if isinstance(document, dict) else None
    if isinstance(listed, list) and len(listed) > max_images:
        raise too_many(len(listed), max_images)
    try:
        request = ClassifyJson.model_validate(document)
    except ValidationError as error:
        raise HTTPException(
            422, error.errors(include_url=False, include_input=False, include_context=False)
        ) from None
    images = []
    for index, item in enumerate(request.images):
        name = item.name or f"image-{index}"
        images.append((name, _decode_base64(item.data, f"images[{index}] ({name})")))
    return Parsed(images=images, top_k=request.top_k, threshold=request.threshold)


def _decode_base64(text: str, where: str) -> bytes:
    if text.startswith("data:") and "," in text:  # a data: URL, as a browser makes
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, f"{where}: `data` is not valid base64") from None


async def _parse_multipart(request: Request, content_type: str, max_images: int) -> Parsed:
    form = await read_form(request.stream(), boundary_of(content_type), max_images)
    if not form.files:
        raise HTTPException(422, "no image files in the multipart body (send them as file parts)")
    images = [(name or f"image-{index}", data) for index, (name, data) in enumerate(form.files)]
    return Parsed(
        images=images,
        top_k=_form_number(form.fields.get("top_k"), int, "top_k"),
        threshold=_form_number(form.fields.get("threshold"), float, "threshold"),
    )


def _form_number(value: str | None, kind, name):
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise HTTPException(422, f"form field {name}={value!r} is not a number") from None
