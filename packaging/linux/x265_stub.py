"""A stand-in for pillow-heif's libx265 in the Linux bundle: HEIC decoding without the encoder.

pillow-heif's wheel ships libx265 (about 23 MB), the HEVC *encoder*, which libheif links so it
can write HEIC. The bundle only reads photos: decoding uses libde265, and libheif calls x265
only when asked to encode. libheif imports just a few x265 functions (`x265_api_get_NNN`,
`x265_cleanup`); this module builds a tiny library with the same soname that defines exactly
the functions libheif imports from the real one, each returning 0 / NULL. `x265_api_get_NNN`
returning NULL is x265's own "no encoder for this bit depth" answer, so libheif reports that no
HEVC encoder is available while decoding works unchanged.

It also keeps the GPL-licensed x265 out of the bundle (libheif and libde265 are LGPL).

Stdlib only; needs nm/objdump (binutils, which PyInstaller needs on Linux anyway) and gcc.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def _dynamic_symbols(path: Path, *, defined: bool) -> set[str]:
    flag = "--defined-only" if defined else "--undefined-only"
    out = subprocess.run(["nm", "-D", flag, str(path)], capture_output=True, text=True, check=True)
    return {line.split()[-1].split("@")[0] for line in out.stdout.splitlines() if line.split()}


def soname(path: Path) -> str:
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == "SONAME":
            return fields[1]
    raise ValueError(f"{path}: no SONAME")


def imported_symbols(users: list[Path], library: Path) -> list[str]:
    """The functions of `library` that `users` import (what a stand-in must define)."""
    wanted: set[str] = set()
    for user in users:
        wanted |= _dynamic_symbols(user, defined=False)
    # libx265 also re-exports a few C++ runtime symbols; only its own API (x265_*) is stubbed.
    return sorted(
        name
        for name in wanted & _dynamic_symbols(library, defined=True)
        if name.startswith("x265_")
    )


def stub_source(symbols: list[str]) -> str:
    lines = ["/* Stand-in for libx265: no HEVC encoder (decoding never calls it). */"]
    for name in symbols:
        if not re.fullmatch(r"x265_\w+", name):
            raise ValueError(f"unexpected symbol imported from libx265: {name}")
        lines.append(f"void *{name}(void) {{ return 0; }}")
    return "\n".join(lines) + "\n"


def build_stub(real: Path, users: list[Path], out: Path) -> list[str]:
    """Write a stand-in for `real` (same soname) defining what `users` import; returns those."""
    symbols = imported_symbols(users, real)
    out.parent.mkdir(parents=True, exist_ok=True)
    source = out.with_suffix(".c")
    source.write_text(stub_source(symbols), encoding="utf-8")
    command = ["gcc", "-shared", "-fPIC", "-O2", "-s", f"-Wl,-soname,{soname(real)}"]
    subprocess.run([*command, "-o", str(out), str(source)], check=True)
    return symbols
