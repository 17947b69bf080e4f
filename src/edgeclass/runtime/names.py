"""File names as text: exact where the output is data, harmless where a person reads it.

On Linux a file name is bytes; Python decodes the bytes that are not UTF-8 into lone surrogates
(U+DC80..U+DCFF, "surrogateescape"), which no UTF-8 output can hold. `display_path` shows each
such byte as `\\xNN`; because a real name may contain those four characters too, `path_base64`
gives the exact name (its raw bytes, base64) whenever the display form is not the name itself.
That is the form of the data outputs (CSV, JSON), where every other character stays as it is.

A name may also hold characters a terminal obeys rather than shows: an escape sequence that
clears the screen or retitles the window, a newline that forges a line of output, a
right-to-left override that reverses what follows. `terminal_text` escapes those too, as
`ls --escape` does, for everything people read: the table, stderr lines, messages.
"""

from __future__ import annotations

import base64
import os
import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls and DEL, C1 controls, the line and paragraph separators, and the bidirectional
# formatting characters ("Trojan Source", CVE-2021-42574); plus lone surrogates as above.
_UNSAFE_FOR_TERMINAL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, carried by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    if code < 0x80:  # a control character that is one byte in UTF-8: that byte
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"  # C1, separators, bidi controls, a lone surrogate from elsewhere


def display_path(text: str) -> str:
    """`text` with every undecodable byte shown as `\\xNN`; valid names come back unchanged."""
    return _LONE_SURROGATE.sub(_escape, text)


def terminal_text(text: str) -> str:
    """`text` safe to print to a terminal: undecodable bytes as `\\xNN`, `\\n` `\\r` `\\t`,
    other control characters as `\\xNN` (C0, DEL) or `\\uNNNN` (C1, line separators,
    bidirectional controls). Every other character, accents and emoji included, stays."""
    return _UNSAFE_FOR_TERMINAL.sub(_escape, text)


def exact_base64(text: str) -> str:
    """The name's exact bytes (as the file system holds them), base64."""
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:  # a lone surrogate no byte stands for: keep it as UTF-8 would
        raw = text.encode("utf-8", "surrogatepass")
    return base64.b64encode(raw).decode("ascii")


def path_base64(text: str) -> str | None:
    """The exact name as base64 of its bytes, or None when `display_path` is the name itself."""
    if not _LONE_SURROGATE.search(text):
        return None
    return exact_base64(text)
