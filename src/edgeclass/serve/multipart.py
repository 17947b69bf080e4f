"""Read a multipart/form-data body into memory: file parts with their names' exact bytes, and
the small text fields. python-multipart does the parsing; this keeps what Starlette's form
reader loses or does differently:

- a file name that is not UTF-8 keeps its bytes (as surrogates, like a file name on Linux), so
  the result's `path_base64` gives it back exactly (Starlette turns it into Latin-1 text);
- nothing spills to a temporary file (the body is bounded by --max-body-mb anyway);
- one file more than allowed stops the read at once with 413.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException

MAX_FIELDS = 100
MAX_FIELD_BYTES = 64 * 1024
MAX_PART_HEADER_BYTES = 16 * 1024


@dataclass
class Form:
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, content)
    fields: dict[str, str] = field(default_factory=dict)  # the first value of each text field


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_bytes: int = 0
    is_file: bool = False
    name: str = ""
    data: bytearray = field(default_factory=bytearray)


def boundary_of(content_type: str) -> bytes:
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise HTTPException(400, "malformed multipart body: no boundary in its Content-Type")
    return boundary


async def read_form(stream: AsyncIterator[bytes], boundary: bytes, max_files: int) -> Form:
    form = Form()
    part = _Part()
    header_name = bytearray()
    header_value = bytearray()
    field_count = 0

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part.header_bytes += end - start
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part.header_bytes += end - start
        header_value.extend(data[start:end])
        if part.header_bytes > MAX_PART_HEADER_BYTES:
            raise HTTPException(
                413, f"a multipart part's headers are over {MAX_PART_HEADER_BYTES} bytes"
            )

    def on_header_end() -> None:
        part.headers[bytes(header_name).lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        nonlocal field_count
        _, options = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.name = _text(options.get(b"name", b""))
        if b"filename" in options:
            part.is_file = True
            if len(form.files) >= max_files:
                raise HTTPException(
                    413, f"more than {max_files} images in one request (--max-images)"
                )
            part.name = _text(options[b"filename"])
        else:
            field_count += 1
            if field_count > MAX_FIELDS:
                raise HTTPException(413, f"more than {MAX_FIELDS} form fields")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part.data.extend(data[start:end])
        if not part.is_file and len(part.data) > MAX_FIELD_BYTES:
            raise HTTPException(413, f"form field {part.name!r} over {MAX_FIELD_BYTES} bytes")

    def on_part_end() -> None:
        if part.is_file:
            form.files.append((part.name, bytes(part.data)))
        else:
            form.fields.setdefault(part.name, bytes(part.data).decode("utf-8", "replace"))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as error:
        raise HTTPException(400, f"malformed multipart body: {error}") from None
    return form


def _text(raw: bytes) -> str:
    """A name's bytes as text; bytes that are not UTF-8 become lone surrogates (surrogateescape),
    as Python does with file names on Linux, so the exact bytes can be given back."""
    return raw.decode("utf-8", "surrogateescape")
