"""What onnxruntime prints on its own, made quiet under `-q` and tidy otherwise.

onnxruntime writes some warnings straight to the process's stderr (file descriptor 2), in colour,
while it loads, before any Python code could set a log level: "GPU device discovery failed" on
a machine without a GPU, "Unknown CPU vendor" in some VMs. So the import runs with descriptor 2
pointed at a pipe, and a thread shows each of onnxruntime's lines once as `edgeclass:
onnxruntime: ...` (without colours or timestamp), or not at all with `-q`. Later messages go
through onnxruntime's default-logger callback the same way.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

# `2026-01-21 12:08:58.794991221 [W:onnxruntime:Default, device_discovery.cc:164 Discover...] `
_LOG_PREFIX = re.compile(r"^\S+ \S+ \[[VIWEF]:onnxruntime:[^\]]*\] ")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
_ERROR = 3  # onnxruntime's severities: 0 verbose, 1 info, 2 warning, 3 error, 4 fatal
_WARNING = 2


_shown: set[str] = set()
_real_stderr: int | None = None  # while descriptor 2 is held: where it pointed before


def tidy_line(line: str) -> str:
    """One of onnxruntime's raw lines -> `edgeclass: onnxruntime: <message>`, without colours
    and timestamp, control characters escaped."""
    return _onnxruntime_line(_LOG_PREFIX.sub("", _COLOUR.sub("", line).strip()))


def _onnxruntime_line(message: str) -> str:
    from edgeclass.runtime.names import terminal_text

    return f"edgeclass: onnxruntime: {terminal_text(message)}"


def _show(line: str, stderr: int = 2) -> None:
    """Write a tidy line on stderr, once per run."""
    if line not in _shown:
        _shown.add(line)
        with contextlib.suppress(OSError):
            os.write(stderr, (line + "\n").encode("utf-8"))


@contextlib.contextmanager
def native_lines_shown_tidily(quiet: bool) -> Iterator[None]:
    """Inside the block, onnxruntime's lines on descriptor 2 are shown tidily as they come (or
    dropped under `quiet`); any other line passes unchanged (Python's own, `-X importtime`)."""
    try:
        saved = os.dup(2)
        reading, writing = os.pipe()
    except OSError:  # no stderr at all (a GUI launch): nothing to keep clean
        yield
        return
    global _real_stderr
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os.dup2(writing, 2)
    os.close(writing)
    _real_stderr = saved
    forwarder = threading.Thread(
        target=_forward, args=(reading, saved, quiet), name="edgeclass-stderr", daemon=True
    )
    forwarder.start()
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        _real_stderr = None
        os.dup2(saved, 2)  # closes the pipe's last writing end: the forwarder reads its end
        forwarder.join()
        os.close(saved)


def restore_stderr() -> None:
    """Point descriptor 2 back at the real stderr now, if it is held (for a stop that exits at
    once: its last words must not go into the pipe of a thread that dies with it)."""
    if _real_stderr is not None:
        with contextlib.suppress(OSError):
            os.dup2(_real_stderr, 2)


def _forward(reading: int, stderr: int, quiet: bool) -> None:
    with os.fdopen(reading, "rb") as lines:
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            plain = _COLOUR.sub("", line).strip()
            if _LOG_PREFIX.match(plain):
                if not quiet:
                    _show(tidy_line(line), stderr)
            else:
                with contextlib.suppress(OSError):
                    os.write(stderr, raw)


def route_onnxruntime_log(quiet: bool) -> None:
    """onnxruntime's later messages: errors only under `quiet`, else warnings shown tidily."""
    import onnxruntime

    set_callback = getattr(onnxruntime, "set_default_logger_callback", None)
    if quiet or set_callback is None:  # onnxruntime < 1.23 has no callback
        onnxruntime.set_default_logger_severity(_ERROR if quiet else _WARNING)
        return

    def show(_severity: int, _category: str, _logid: str, _location: str, message: str) -> None:
        _show(_onnxruntime_line(message))

    set_callback(show, _WARNING)
