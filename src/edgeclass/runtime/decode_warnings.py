"""Warnings raised while one image decodes become that image's note, not lines on stderr.

Pillow reports what it tolerates in a file with `warnings.warn` ("Possibly corrupt EXIF data",
"Metadata Warning, tag 274 had too many entries", ...). Printed, they are two raw lines on stderr
that name a Pillow source file but not the photo, and they ignore `-q`. Inside `noted_warnings()`
they are collected for the thread that decodes the file instead, and the caller adds them to
that file's message (`Pillow: ...`; another library's as `RuntimeWarning: ...`).
`warnings.catch_warnings` cannot do this: it swaps process-wide state, and
several files decode at once on several threads.

Pillow's DecompressionBombWarning is dropped: the runtime checks its own pixel budget before
decoding (runtime/images.py) and says so in its own words when a file is over it.
"""

from __future__ import annotations

import contextlib
import os
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
    # A decode calls Pillow only, and Pillow warns with plain UserWarnings; a worker process that
    # decoded the file hands them back without their origin.
    pillow = category is UserWarning or f"{os.sep}PIL{os.sep}" in filename
    source = "Pillow" if pillow else category.__name__
    text = f"{source}: {' '.join(str(message).split())}"  # Pillow's hold double spaces
    if text not in notes:
        notes.append(text)


_previous_show: Any = warnings.showwarning
_always_from_pillow: Any = None  # our entry in warnings.filters


def _install() -> None:
    """Route shown warnings through `_show` (again, if something replaced it meanwhile), and show
    every warning of Pillow and of the runtime (which passes on a decode worker's) each time it
    happens, so each file hears about its own. The filters change only when ours is gone: each
    change resets every "show once" registry."""
    global _previous_show, _always_from_pillow
    with _install_lock:
        if warnings.showwarning is not _show:
            _previous_show = warnings.showwarning
            warnings.showwarning = _show
        if _always_from_pillow is None or _always_from_pillow not in warnings.filters:
            warnings.filterwarnings("always", module=r"(PIL|edgeclass\.runtime)(\.|$)")
            _always_from_pillow = warnings.filters[0]


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
    """`message`, then each warning: `.png file holds JPEG data; Pillow: ...`."""
    return "; ".join(part for part in [message, *notes] if part)
