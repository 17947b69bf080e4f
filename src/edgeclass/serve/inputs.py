"""Turn a /v1/classify request into [(name, image bytes)], or an HTTP error that says why.

Three body types: multipart files, JSON with base64 images, or one raw image (`image/*`).
Names are only labels for the results: nothing here (or anywhere in the server) opens them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException


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
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        # A 20 MB body takes tens of ms to parse and un-base64: not on the event loop.
        return await run_in_threadpool(_parse_json, await request.body(), max_images)
    if content_type == "multipart/form-data":
        return await _parse_multipart(request, max_images)
    if content_type.startswith("image/"):
        name = request.query_params.get("name", "image")
        return Parsed(images=[(name, await request.body())])
    raise HTTPException(
        415,
        f"unsupported Content-Type {content_type or '(none)'!r}: send multipart/form-data "
        'files, application/json {"images": [{"name": ..., "data": <base64>}]}, or one '
        "image/* body",
    )


def _parse_json(body: bytes, max_images: int) -> Parsed:
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HTTPException(400, f"the body is not valid JSON: {error}") from None
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


async def _parse_multipart(request: Request, max_images: int) -> Parsed:
    try:
        form = await request.form(max_files=max_images, max_fields=100)
    except StarletteHTTPException as error:  # what Starlette makes of a multipart error
        if error.status_code != 400:  # e.g. the body limit's 413
            raise
        if "Too many files" in str(error.detail):
            raise HTTPException(
                413, f"more than {max_images} images in one request (--max-images)"
            ) from None
        raise HTTPException(400, f"malformed multipart body: {error.detail}") from None
    images = []
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            name = value.filename or f"image-{len(images)}"
            images.append((name, await value.read()))
    await form.close()
    if not images:
        raise HTTPException(422, "no image files in the multipart body (send them as file parts)")
    return Parsed(
        images=images,
        top_k=_form_number(form.get("top_k"), int, "top_k"),
        threshold=_form_number(form.get("threshold"), float, "threshold"),
    )


def _form_number(value, kind, name):
    if value is None or isinstance(value, UploadFile):
        return None
    try:
        return kind(value)
    except ValueError:
        raise HTTPException(422, f"form field {name}={value!r} is not a number") from None
