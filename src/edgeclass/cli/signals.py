"""How `edgeclass classify` answers SIGTERM, SIGHUP and an early Ctrl+C (main thread only)."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType

TERMINATION_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _exit_for(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
        print(f"edgeclass: stopped by {name}", file=sys.stderr)
    # SystemExit unwinds like Ctrl+C does, so the output's temp file is removed on the way.
    raise SystemExit(128 + signum)


def exit_cleanly_on_termination() -> None:
    """SIGTERM and SIGHUP end the run through the normal clean-up, with exit code 128 + N.

    A signal that was ignored when the program started (`nohup`) stays ignored.
    """
    for signum in TERMINATION_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _exit_for)


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
