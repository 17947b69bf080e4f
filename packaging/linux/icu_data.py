"""A small ICU data library for the Linux bundle: PySide6's libicudata.so.NN minus everything Qt
does not use.

PySide6's Qt links ICU, whose data library is 31 MiB. Qt uses ICU for collation (QCollator,
and through it the natural "file2 < file10" order of QFileSystemModel / QFileDialog), case
mapping (whose core tables are compiled into libicuuc) and legacy text codecs. So the bundle
ships only the root collation (the CLDR default order, right for most Latin-script languages;
language-specific tailorings such as Swedish or Czech fall back to it): about 1 MiB.

The library's exported symbol (`icudtNN_dat`) is an ICU "common data" package: a header, a table
of contents (entry count, then name/data offsets, sorted by name, which ICU binary-searches),
the names, then the items, 16-byte aligned. We rebuild that package with the kept entries and
link it into a shared library with the same soname, so libicuuc loads it unchanged.

Stdlib only; needs readelf (binutils, which PyInstaller needs on Linux anyway) and gcc.
"""

from __future__ import annotations

import re
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

# Entries (without the "icudtNNl/" prefix) the bundle keeps.
KEEP_PATTERNS = (
    r"coll/root\.res",
    r"coll/ucadata\.icu",
    r"coll/res_index\.res",
)


def _symbol(path: Path) -> tuple[str, int, int]:
    """(name, virtual address, size) of the icudtNN_dat symbol."""
    out = subprocess.run(["readelf", "-sW", str(path)], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 8 and re.fullmatch(r"icudt\d+_dat", fields[7]):
            return fields[7], int(fields[1], 16), int(fields[2], 0)
    raise ValueError(f"{path}: no icudtNN_dat symbol")


def _file_offset(path: Path, address: int) -> int:
    out = subprocess.run(["readelf", "-lW", str(path)], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == "LOAD":
            offset, vaddr, filesz = int(fields[1], 16), int(fields[2], 16), int(fields[4], 16)
            if vaddr <= address < vaddr + filesz:
                return offset + address - vaddr
    raise ValueError(f"{path}: address {address:#x} is in no loaded segment")


def read_package(library: Path) -> tuple[str, bytes]:
    """The entry symbol's name and the common-data package it points to."""
    name, address, size = _symbol(library)
    start = _file_offset(library, address)
    with library.open("rb") as handle:
        handle.seek(start)
        return name, handle.read(size)


def entries(package: bytes) -> list[tuple[str, bytes]]:
    """(name, item bytes) of every entry, in table order."""
    header_size = struct.unpack_from("<H", package, 0)[0]
    if package[2:4] != b"\xda\x27" or package[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    toc = package[header_size:]
    count = struct.unpack_from("<I", toc, 0)[0]
    offsets = [struct.unpack_from("<II", toc, 4 + 8 * i) for i in range(count)]
    result = []
    for index, (name_offset, data_offset) in enumerate(offsets):
        name = toc[name_offset : toc.index(b"\0", name_offset)].decode("ascii")
        end = offsets[index + 1][1] if index + 1 < count else len(toc)
        result.append((name, toc[data_offset:end]))
    return result


def build_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """A common-data package holding `items` (sorted by name, as ICU requires)."""
    items = sorted(items)
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    toc_size = 4 + 8 * len(items)
    names_start = toc_size
    data_start = (names_start + len(names) + 15) // 16 * 16
    table, data = [struct.pack("<I", len(items))], bytearray()
    name_offset = names_start
    for name, item in items:
        table.append(struct.pack("<II", name_offset, data_start + len(data)))
        name_offset += len(name) + 1
        data += item
        data += b"\0" * (-len(data) % 16)
    padding = b"\0" * (data_start - names_start - len(names))
    return header + b"".join(table) + names + padding + bytes(data)


def filtered_package(package: bytes, keep: Callable[[str], bool]) -> bytes:
    header_size = struct.unpack_from("<H", package, 0)[0]
    kept = [(name, item) for name, item in entries(package) if keep(name.split("/", 1)[-1])]
    return build_package(package[:header_size], kept)


def keep_default(name: str) -> bool:
    return any(re.fullmatch(pattern, name) for pattern in KEEP_PATTERNS)


def build_library(source: Path, target: Path, keep: Callable[[str], bool] = keep_default) -> int:
    """Write a copy of the ICU data library `source` holding only the kept entries to `target`
    (same soname and symbol). Returns the number of entries kept."""
    symbol, package = read_package(source)
    small = filtered_package(package, keep)
    target.parent.mkdir(parents=True, exist_ok=True)
    blob = target.with_suffix(".dat")
    blob.write_bytes(small)
    assembly = target.with_suffix(".S")
    assembly.write_text(
        "\t.section .rodata\n"
        f"\t.globl {symbol}\n"
        f"\t.type {symbol}, @object\n"
        "\t.balign 16\n"
        f"{symbol}:\n"
        f'\t.incbin "{blob}"\n'
        f"\t.size {symbol}, . - {symbol}\n"
        '\t.section .note.GNU-stack,"",@progbits\n'
    )
    subprocess.run(
        ["gcc", "-shared", "-s", f"-Wl,-soname,{source.name}", "-o", str(target), str(assembly)],
        check=True,
    )
    return len(entries(small))
