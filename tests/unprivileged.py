"""Run a command as a user whom file permissions apply to, so unreadable folders are unreadable.

Root ignores permission bits; as root the command runs as `nobody` (uid 65534) through util-linux
`setpriv`. Files it must reach have to be readable by others: `open_tmp_dir` makes a place for them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

NOBODY = 65534


def as_unprivileged(command: list[str]) -> list[str]:
    """`command`, run as nobody when we are root; a skip when that is not possible here."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without util-linux setpriv: permissions cannot be tested")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


def run_unprivileged(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(as_unprivileged(command), capture_output=True, timeout=120, **kwargs)


@contextlib.contextmanager
def open_tmp_dir() -> Iterator[Path]:
    """A temp folder others can enter (pytest's tmp_path sits under a folder only we can)."""
    folder = Path(tempfile.mkdtemp(prefix="edgeclass-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)
