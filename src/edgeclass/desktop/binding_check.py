"""Does this Qt binding keep Python's reference counts?

PySide6 6.12.0 did not: every signal emit lost a reference to True and every Qt call returning
None one to None, until, a few thousand photos later, the interpreter aborted with "Fatal Python
error: none_dealloc" and every result was lost. A few calls at start-up tell, whatever the
version number says; pyproject.toml excludes the releases known to do it.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, Signal

PROBE_CALLS = 32
LAST_GOOD_RELEASE = "6.11.3"


class _Probe(QObject):
    ping = Signal()


def lost_references(calls: int = PROBE_CALLS) -> dict[str, int]:
    """References to None and True lost by `calls` signal emits and Qt calls returning None."""
    probe = _Probe()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection in the middle would free references and look like a loss
    try:
        none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
        for _ in range(calls):
            probe.ping.emit()
            probe.setObjectName("probe")
        lost = {
            "None": none_before - sys.getrefcount(None),
            "True": true_before - sys.getrefcount(True),
        }
    finally:
        if gc_was_enabled:
            gc.enable()
    # A healthy binding loses none; a broken one about one per call.
    return {name: count for name, count in lost.items() if count >= calls // 2}


def binding_problem() -> str | None:
    """A message for the user when this binding loses references; None when it is healthy."""
    lost = lost_references()
    if not lost:
        return None
    import PySide6

    counts = ", ".join(f"{count} to {name}" for name, count in lost.items())
    return (
        f"PySide6 {PySide6.__version__} loses Python references ({counts} in {PROBE_CALLS} "
        "calls): edgeclass would crash after a few thousand photos and lose every result. "
        f'Install another release: pip install "PySide6-Essentials=={LAST_GOOD_RELEASE}".'
    )
