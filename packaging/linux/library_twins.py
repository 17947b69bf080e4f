"""Ship one copy of a library that the bundle would otherwise carry twice under two names.

PyInstaller takes `libzstd.so.1` and `liblzma.so.5` from the build machine (Qt Core and
Python's `_lzma` link them), while Pillow's wheel already carries its own copies under
auditwheel's names (`pillow.libs/libzstd-<hash>.so.1.5.7`, `liblzma-<hash>.so.5.8.4`): 0.9 MiB
twice. When the wheel's copy has the same major version and defines every versioned symbol the
bundled binaries import from the system one, the system name becomes a symlink to it. The
loader opens the link, sees the wheel copy's soname, and both names resolve to one library.

Stdlib only; needs nm and objdump (binutils, which PyInstaller needs on Linux anyway).
"""

from __future__ import annotations

import os
import re
import subprocess

_SYSTEM_NAME = re.compile(r"(lib[A-Za-z0-9_+]+)\.so\.(\d+)")


def _symbols(path: str, *, defined: bool) -> set[str]:
    flag = "--defined-only" if defined else "--undefined-only"
    out = subprocess.run(["nm", "-D", flag, path], capture_output=True, text=True).stdout
    return {line.split()[-1].replace("@@", "@") for line in out.splitlines() if line.split()}


def _needed(path: str) -> list[str]:
    out = subprocess.run(["objdump", "-p", path], capture_output=True, text=True).stdout
    return [line.split()[1] for line in out.splitlines() if line.strip().startswith("NEEDED")]


def twin_of(name: str, toc: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """The wheel-vendored entry (`<pkg>.libs/<lib>-<hash>.so.<major>...`) matching the
    top-level system library `name` (`<lib>.so.<major>`), or None."""
    match = _SYSTEM_NAME.fullmatch(name)
    if match is None:
        return None
    stem, major = match.groups()
    vendored = re.compile(rf"[^/]+\.libs/{re.escape(stem)}-[0-9a-f]{{8}}\.so\.{major}(\.\d+)*")
    for entry in toc:
        if entry[2] == "BINARY" and vendored.fullmatch(entry[0].replace("\\", "/")):
            return entry
    return None


def merged(toc: list[tuple[str, str, str]]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """`toc` with each top-level system library that has a compatible vendored twin replaced
    by a symlink to the twin; also returns the names replaced."""
    result, replaced = [], []
    for entry in toc:
        dest, src, typecode = entry
        twin = twin_of(dest, toc) if typecode == "BINARY" and "/" not in dest else None
        if twin is not None:
            users = [e[1] for e in toc if e[2] in ("BINARY", "EXTENSION") and dest in _needed(e[1])]
            wanted = set().union(*(_symbols(user, defined=False) for user in users))
            system_defines = _symbols(src, defined=True)
            if (wanted & system_defines) <= _symbols(twin[1], defined=True):
                target = os.path.relpath(twin[0], os.path.dirname(dest) or ".")
                result.append((dest, target, "SYMLINK"))
                replaced.append(dest)
                continue
        result.append(entry)
    return result, replaced
