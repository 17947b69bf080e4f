"""Where `edgeclass classify` writes: checked before any work (`atomic_output` writes it)."""

from __future__ import annotations

import os
from pathlib import Path

from edgeclass.atomic_files import writes_in_place
from edgeclass.errors import EdgeclassError


def check_output(output: str | None) -> None:
    """Fail before any work when the output file could never be written, or must not be."""
    if output is None or output == "-":
        return
    if writes_in_place(output):
        if os.path.exists(output) and not os.access(output, os.W_OK):
            raise EdgeclassError(f"--output {output}: permission denied")
        return
    target = Path(os.path.realpath(output))  # through symbolic links to the file itself
    if target.is_dir():
        raise EdgeclassError(f"--output {output} is a folder; give a file name")
    parent = target.parent
    if not parent.is_dir():
        raise EdgeclassError(f"--output {output}: folder {parent} does not exist")
    # A rename would replace a read-only file regardless; root passes os.access, not the mode.
    if target.exists() and (not os.access(target, os.W_OK) or not target.stat().st_mode & 0o222):
        raise EdgeclassError(
            f"--output {output}: the file is read-only; make it writable or choose another"
        )
    if not os.access(parent, os.W_OK):
        raise EdgeclassError(f"--output {output}: folder {parent} is not writable")
