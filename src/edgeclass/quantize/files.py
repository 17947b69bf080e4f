"""Writing the output folder so that a failed run never leaves a half-written file or folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from edgeclass.errors import EdgeclassError
from edgeclass.file_modes import as_new_file


def write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        as_new_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_folder(staged: Path, target: Path, overwrite: bool) -> None:
    """Rename a fully written folder into place; an old one is swapped out, then removed."""
    if target.exists():
        if not overwrite:
            raise EdgeclassError(f"{target} already exists; pass --overwrite to replace it")
        backup = target.with_name(f".{target.name}.old-{staged.name}")
        target.rename(backup)
        staged.rename(target)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        staged.rename(target)
