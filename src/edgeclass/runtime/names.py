"""File names that are not valid UTF-8, written as text: readable, valid UTF-8, and exact.

On Linux a file name is bytes; Python decodes the bytes that are not UTF-8 into lone surrogates
(U+DC80..U+DCFF, "surrogateescape"), which no UTF-8 output can hold. `display_path` shows each
such byte as `\\xNN`; because a real name may contain those four characters too, `path_base64`
gives the exact name (its raw bytes, base64) whenever the display form is not the name itself.
"""

from __future__ import annotations

import base64
import os
import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, carried by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"  # a lone surrogate from elsewhere (a Windows name can hold one)


def display_path(text: str) -> str:
    """`text` with every undecodable byte shown as `\\xNN`; valid names come back unchanged."""
    return _LONE_SURROGATE.sub(_escape, text)


def path_base64(text: str) -> str | None:
    """The exact name as base64 of its bytes, or None when `display_path` is the name itself."""
    if not _LONE_SURROGATE.search(text):
        return None
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:  # a lone surrogate no byte stands for: keep it as UTF-8 would
        raw = text.encode("utf-8", "surrogatepass")
    return base64.b64encode(raw).decode("ascii")
