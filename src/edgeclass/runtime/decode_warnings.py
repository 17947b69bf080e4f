"""Warnings raised while one image decodes become that image's note, not lines on stderr.

Pillow reports what it tolerates in a file with `warnings.warn` ("Possibly corrupt EXIF data",
"Metadata Warning, tag 274 had too many entries", ...). Printed, they are two raw lines on stderr
that name a Pillow source file but not the photo, and they ignore `-q`. Inside `noted_warnings()`
they are collected for the thread that decodes the file instead, and the caller adds them to
that file's message. `warnings.catch_warnings` cannot do this: it swaps process-wide state, and
several files decode at once on several threads.

Pillow's DecompressionBombWarning is dropped: the runtime checks its own pixel budget before
decoding (runtime/images.py) and says so in its own words when a file is over it.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator
from typing import Any, TextIO

from PIL import Image

from edgeclass.runtime.images import ImageLoadError

_local = threading.local()
_install_lock = threading.Lock()


def _show(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    notes: list[str] | None = getattr(_local, "notes", None)
    if notes is None:  # a warning from elsewhere, or from a thread that decodes nothing
        _previous_show(message, category, filename, lineno, file, line)
        return
    if issubclass(category, Image.DecompressionBombWarning):
        return
    text = " ".join(str(message).split())  # Pillow's messages hold double spaces
    if text and text not in notes:
        notes.append(text)


_previous_show: Any = warnings.showwarning


def _install() -> None:
    """Route shown warnings through `_show` (again, if something replaced it meanwhile), and show
    every Pillow warning each time it happens, so each file hears about its own."""
    global _previous_show
    with _install_lock:
        if warnings.showwarning is not _show:
            _previous_show = warnings.showwarning
            warnings.showwarning = _show
        warnings.filterwarnings("always", module=r"PIL(\.|$)")


@contextlib.contextmanager
def noted_warnings() -> Iterator[list[str]]:
    """The warnings raised on this thread inside the block, each once, in order; an
    ImageLoadError leaving the block carries them in its message."""
    _install()
    outer = getattr(_local, "notes", None)
    notes: list[str] = []
    _local.notes = notes
    try:
        yield notes
    except ImageLoadError as error:
        raise ImageLoadError(error.status, with_notes(error.message, notes)) from None
    finally:
        _local.notes = outer


def with_notes(message: str, notes: list[str]) -> str:
    """`message`, then each Pillow warning: `.png file holds JPEG data; Pillow: ...`."""
    return "; ".join([part for part in [message, *(f"Pillow: {n}" for n in notes)] if part])
