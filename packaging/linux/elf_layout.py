"""Repair and tighten the file layout of shared libraries that auditwheel's patchelf rewrote.

Two problems, both of libraries patched by auditwheel, fixed without touching any byte the
loader maps:

- **`strip` leaves empty segments misaligned.** patchelf leaves old copies of .dynstr in
  PT_LOAD segments of their own. `strip` empties those segments (no section covers them) but
  gives them a file offset that no longer agrees with their address modulo the page size, and
  the loader refuses the whole library ("ELF load command address/offset not page-aligned").
  numpy's OpenBLAS is such a library: unstripped it is 24.2 MiB, stripped 22.4 MiB.
  `realign_empty_segments` moves such an empty segment's offset back into step (it has no
  bytes in the file, so nothing else changes).
- **Zero padding.** Pillow's wheel ships `libXau` (Pillow links libxcb, which links it) as a
  2.0 MiB file holding 14 KB of code and data: patchelf appended a PT_LOAD segment (the
  rewritten .dynsym/.dynstr) at the next 2 MiB boundary of the *file*, because the library's
  segments were aligned to 2 MiB, and filled the gap with zeros. The loader only needs a
  segment's file offset and address to agree modulo the page size, so `compacted` moves such a
  segment down by whole pages of zeros and lowers that segment's p_align to the page size.
  Addresses (so every pointer, relocation and dynamic entry) stay as they are; only file
  offsets change, and only zeros no header points into are removed.

64-bit little-endian ELF only (the bundle's Linux x86_64 libraries); anything else is left as
it is. Stdlib only. `tidy(path)` applies both, in place.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

PAGE = 4096
PT_LOAD = 1
SHT_NOBITS = 8
_PHDR = struct.Struct("<IIQQQQQQ")  # type, flags, offset, vaddr, paddr, filesz, memsz, align
_SHDR = struct.Struct("<IIQQQQIIQQ")  # name, type, flags, addr, offset, size, link, info, ...


def _ranges(data: bytes) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(file ranges in use, program header offsets, section header offsets)."""
    phoff, shoff = struct.unpack_from("<QQ", data, 32)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 54)
    phdrs = [phoff + i * phentsize for i in range(phnum)]
    shdrs = [shoff + i * shentsize for i in range(shnum)]
    used = [(0, 64), (phoff, phoff + phentsize * phnum), (shoff, shoff + shentsize * shnum)]
    for at in phdrs:
        _type, _flags, offset, _vaddr, _paddr, filesz, _memsz, _align = _PHDR.unpack_from(data, at)
        used.append((offset, offset + filesz))
    for at in shdrs:
        fields = _SHDR.unpack_from(data, at)
        if fields[1] != SHT_NOBITS:
            used.append((fields[4], fields[4] + fields[5]))
    return sorted(used), phdrs, shdrs


def padding_gap(data: bytes) -> tuple[int, int] | None:
    """The largest run of whole pages of zeros that no header, segment or section uses, ending
    where a PT_LOAD segment starts, as (start, end); None when there is none."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    used, phdrs, _shdrs = _ranges(data)
    headers = [_PHDR.unpack_from(data, at) for at in phdrs]
    load_offsets = {header[2] for header in headers if header[0] == PT_LOAD}
    best: tuple[int, int] | None = None
    covered = 0
    for start, end in used:
        if start in load_offsets and start > covered:
            # Only zeros go, and whole pages only, so moved offsets stay congruent to addresses.
            last_data = len(data[covered:start].rstrip(b"\0"))
            pages = (start - covered - last_data) // PAGE
            if pages and (best is None or pages * PAGE > best[1] - best[0]):
                best = (start - pages * PAGE, start)
        covered = max(covered, end)
    return best


def compacted(data: bytes) -> bytes | None:
    """`data` with its padding gap removed, or None when there is none to remove."""
    gap = padding_gap(data)
    if gap is None:
        return None
    start, end = gap
    shift = end - start
    out = bytearray(data[:start] + data[end:])

    def moved(offset: int) -> int:
        return offset - shift if offset >= end else offset

    phoff, shoff = struct.unpack_from("<QQ", data, 32)
    struct.pack_into("<QQ", out, 32, moved(phoff), moved(shoff))
    _used, phdrs, shdrs = _ranges(data)
    for at in phdrs:
        p_type, flags, offset, vaddr, paddr, filesz, memsz, align = _PHDR.unpack_from(data, at)
        if p_type == PT_LOAD and offset >= end and (vaddr - moved(offset)) % align:
            align = PAGE  # still congruent modulo the page size, which is what the loader needs
        fields = (p_type, flags, moved(offset), vaddr, paddr, filesz, memsz, align)
        _PHDR.pack_into(out, moved(at), *fields)
    for at in shdrs:
        fields = list(_SHDR.unpack_from(data, at))
        if fields[1] != SHT_NOBITS or fields[4] >= end:
            fields[4] = moved(fields[4])
        _SHDR.pack_into(out, moved(at), *fields)
    return bytes(out)


def realign_empty_segments(data: bytes) -> bytes | None:
    """`data` with every empty (no file bytes) PT_LOAD segment's offset congruent to its
    address modulo the page size; None when none needed it."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    out = bytearray(data)
    _used, phdrs, _shdrs = _ranges(data)
    changed = False
    for at in phdrs:
        p_type, flags, offset, vaddr, paddr, filesz, memsz, align = _PHDR.unpack_from(data, at)
        if p_type == PT_LOAD and filesz == 0 and (offset - vaddr) % PAGE:
            offset -= (offset - vaddr) % PAGE
            _PHDR.pack_into(out, at, p_type, flags, offset, vaddr, paddr, filesz, memsz, align)
            changed = True
    return bytes(out) if changed else None


def tidy(path: Path) -> bool:
    """Realign empty segments and remove padding in the file at `path`; True if it changed."""
    data = original = path.read_bytes()
    data = realign_empty_segments(data) or data
    data = compacted(data) or data
    if data == original:
        return False
    path.write_bytes(data)
    return True


def segments_aligned(data: bytes) -> bool:
    """Whether every PT_LOAD segment satisfies the loader's rule (offset and address congruent
    modulo its alignment); False for anything but a 64-bit little-endian ELF file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return False
    _used, phdrs, _shdrs = _ranges(data)
    for at in phdrs:
        p_type, _flags, offset, vaddr, _paddr, _filesz, _memsz, align = _PHDR.unpack_from(data, at)
        if p_type == PT_LOAD and align > 1 and (offset - vaddr) % align:
            return False
    return True


def stripped_copy(source: Path, copy: Path) -> Path:
    """`source` stripped and tidied into `copy` (redone only when `source` is newer); returns
    the copy when it is smaller and loadable, else `source`."""
    copy.parent.mkdir(parents=True, exist_ok=True)
    if not copy.exists() or copy.stat().st_mtime < source.stat().st_mtime:
        shutil.copyfile(source, copy)
        subprocess.run(["strip", str(copy)], capture_output=True)
        tidy(copy)
    if copy.stat().st_size < source.stat().st_size and segments_aligned(copy.read_bytes()):
        return copy
    return source
