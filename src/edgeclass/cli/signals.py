"""How `edgeclass classify` answers Ctrl+C, SIGTERM and SIGHUP: it stops within moments.

Whatever is decoding at that moment may be stuck in C for minutes (a hostile file), on a decode
thread or in a worker process, and neither can be interrupted from Python: a thread cannot be
killed at all, and waiting for it is what once made SIGTERM take 229 s. So once the run has
started, the signal's handler does the clean-up itself, then ends the process with `os._exit`:
it kills the decode workers, removes the output's temp file (so `--output` is left exactly as it
was), flushes the rows already written to stdout, says why on stderr, and exits with 128 + the
signal's number (130, 143, 129), as shells report a command stopped by it.

Start-up is different: an interrupt that lands while onnxruntime initialises turns into
"ImportError: initialization failed", so Ctrl+C is held until the imports are done.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from edgeclass.atomic_files import remove_temp_files

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
# The module that owns the decode worker processes, and its function that kills them all now.
DECODE_WORKERS = ("edgeclass.runtime.decode_pool", "abandon_all")
FLUSH_WAIT_S = 0.5  # for stdout: a reader that does not read must not hold the exit up

_before_exit: list[Callable[[], None]] = []
_stopping = threading.Lock()


def call_before_stopping(action: Callable[[], None]) -> None:
    """Have a stop run `action` (quick, never blocking: e.g. clear the progress line)."""
    _before_exit.append(action)


def stop_promptly_on_signals() -> None:
    """SIGINT, SIGTERM and SIGHUP end the run at once, cleanly (see the module's doc).

    A signal that was ignored when the program started (`nohup`, `&` in a script) stays ignored.
    """
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _stop)


def _stop(signum: int, frame: FrameType | None) -> None:
    if not _stopping.acquire(blocking=False):
        return  # a second signal while stopping: the first one finishes the job
    _abandon_decoding()
    remove_temp_files()
    for action in _before_exit:
        with contextlib.suppress(Exception):
            action()
    _flush_stdout()
    if signum == signal.SIGINT:
        reason = "interrupted"
    else:
        reason = f"stopped by {signal.Signals(signum).name}"
    with contextlib.suppress(OSError, ValueError):  # after SIGHUP the terminal may be gone
        sys.stderr.write(f"edgeclass: {reason}\n")
        sys.stderr.flush()
    os._exit(128 + signum)


def _abandon_decoding() -> None:
    """Kill the decode worker processes, if any were started; they hold nothing to save."""
    module_name, function_name = DECODE_WORKERS
    abandon = getattr(sys.modules.get(module_name), function_name, None)
    if callable(abandon):
        with contextlib.suppress(Exception):
            abandon()
    processes = sys.modules.get("multiprocessing.process")
    if processes is not None:  # any other child started with multiprocessing
        for child in processes.active_children():
            with contextlib.suppress(Exception):
                child.kill()


def _flush_stdout() -> None:
    """Hand the rows already written to stdout over (they are whole rows: each is one write)."""

    def flush() -> None:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()

    flusher = threading.Thread(target=flush, daemon=True)
    flusher.start()
    flusher.join(FLUSH_WAIT_S)


@contextlib.contextmanager
def ctrl_c_deferred() -> Iterator[None]:
    """Hold a Ctrl+C until the block ends, then raise KeyboardInterrupt.

    For importing compiled extensions (onnxruntime): an interrupt that lands inside their
    initialisation turns into "ImportError: initialization failed" and a traceback.
    """
    pressed: list[int] = []
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN or previous is None:
        yield
        return
    signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt
