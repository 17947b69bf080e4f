"""Where `edgeclass classify` writes: checked before any work (`atomic_output` writes it)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from edgeclass.atomic_files import writes_in_place
from edgeclass.errors import EdgeclassError
from edgeclass.runtime.names import terminal_text

# What the OS says about a path, in the words of someone choosing where results go.
_REASONS = {
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ELOOP: "too many levels of symbolic links (a link that points back to itself?)",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def _cannot(output: str, error: OSError) -> EdgeclassError:
    reason = _REASONS.get(error.errno or 0) or (error.strerror or str(error)).lower()
    return EdgeclassError(f"--output {terminal_text(output)}: {reason}")


def check_output(output: str | None) -> None:
    """Fail before any work when the output file could never be written, or must not be.

    Every refusal is one line (an EdgeclassError: exit code 2), whatever the OS raised.
    """
    if output is None or output == "-":
        return
    try:
        _check(output)
    except OSError as error:
        raise _cannot(output, error) from None


def _check(output: str) -> None:
    shown = terminal_text(output)
    if writes_in_place(output):  # stats `output`: ENOTDIR, ELOOP, ... raise from here
        if os.path.exists(output) and not os.access(output, os.W_OK):
            raise EdgeclassError(f"--output {shown}: permission denied")
        return
    target = Path(os.path.realpath(output))  # through symbolic links to the file itself
    if target.is_dir():
        raise EdgeclassError(f"--output {shown} is a folder; give a file name")
    parent = target.parent
    if not parent.is_dir():
        raise EdgeclassError(
            f"--output {shown}: folder {terminal_text(str(parent))} does not exist"
        )
    # A rename would replace a read-only file regardless; root passes os.access, not the mode.
    if target.exists() and (not os.access(target, os.W_OK) or not target.stat().st_mode & 0o222):
        raise EdgeclassError(
            f"--output {shown}: the file is read-only; make it writable or choose another"
        )
    if not os.access(parent, os.W_OK):
        raise EdgeclassError(
            f"--output {shown}: folder {terminal_text(str(parent))} is not writable"
        )
