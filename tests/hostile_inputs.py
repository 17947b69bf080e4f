"""Hostile inputs for the command line's tests: files, each small on disk, built byte by byte
(no big bitmap in the test's memory), odd EXIF, a folder tree deeper than the recursion limit.

Each file reproduces a row of issue 24's table: one that once hung, flooded or took down
`edgeclass classify`. The writers take a folder and return the path they wrote.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

# A PostScript program that never ends, under a name that promises a JPEG. Pillow's EPS plugin
# would hand it to Ghostscript (`gs`) for decoding.
ENDLESS_POSTSCRIPT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{1 pop} loop\n"

SOI, EOI = b"\xff\xd8", b"\xff\xd9"


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _jpeg_tables() -> bytes:
    """A quantisation table of ones and the smallest Huffman tables: DC and AC, one code each."""
    dqt = _segment(0xDB, b"\x00" + b"\x01" * 64)
    one_code = bytes([1] + [0] * 15)  # one code of length 1
    dht_dc = _segment(0xC4, b"\x00" + one_code + b"\x00")  # DC table 0: category 0
    dht_ac = _segment(0xC4, b"\x10" + one_code + b"\x00")  # AC table 0: end of block
    return dqt + dht_dc + dht_ac


def _frame(marker: int, width: int, height: int) -> bytes:
    """A one-component (grey) frame header; 0xC0 baseline, 0xC2 progressive."""
    return _segment(marker, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")


def _scan(start: int, end: int, approx: int) -> bytes:
    return _segment(0xDA, b"\x01\x01\x00" + bytes([start, end, approx]))


def endless_postscript(folder: Path) -> Path:
    path = folder / "postscript.jpg"
    path.write_bytes(ENDLESS_POSTSCRIPT)
    return path


def sparse_terabyte_jpeg(folder: Path) -> Path:
    """`printf '\\xff\\xd8\\xff' > s.jpg; truncate -s 1T s.jpg`: 1 TB long, 4 KB on disk."""
    path = folder / "sparse_1tb.jpg"
    with open(path, "wb") as file:
        file.write(b"\xff\xd8\xff")
        file.truncate(1 << 40)
    return path


def scan_bomb_jpeg(folder: Path, size: int = 9000, scans: int = 10_000) -> Path:
    """A progressive JPEG claiming size x size pixels, with `scans` scans that hold no data.

    About 11 bytes a scan, yet each one makes libjpeg walk every block of the image: the issue
    measured 189 s of CPU for the default 9000x9000 and 10,000 scans (about 110 KB).
    """
    path = folder / "scan_bomb.jpg"
    parts = [SOI, _jpeg_tables(), _frame(0xC2, size, size), _scan(0, 0, 0)]
    parts += [_scan(1, 63, 0)] * scans
    parts.append(EOI)
    path.write_bytes(b"".join(parts))
    return path


def header_only_jpeg(folder: Path) -> Path:
    """A JPEG header (tables, frame, scan header) and an end marker: no pixel data at all."""
    path = folder / "header_only.jpg"
    parts = [SOI, _jpeg_tables(), _frame(0xC0, 64, 48), _scan(0, 63, 0), EOI]
    path.write_bytes(b"".join(parts))
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _blank_png(width: int, height: int, colour_type: int, channels: int) -> bytes:
    """An 8-bit PNG of zeros, compressed row block by row block (memory: one block)."""
    row = b"\x00" * (1 + width * channels)
    block = row * max(1, (1 << 22) // len(row))
    rows_per_block = len(block) // len(row)
    compressor = zlib.compressobj(9)
    data = []
    for done in range(0, height, rows_per_block):
        data.append(compressor.compress(block[: len(row) * min(rows_per_block, height - done)]))
    data.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", b"".join(data)),
            _png_chunk(b"IEND", b""),
        ]
    )


def ico_holding_a_huge_png(folder: Path, size: int = 12_000) -> Path:
    """An icon file whose one entry is a size x size RGBA PNG (576 MB decoded)."""
    path = folder / "huge_entry.ico"
    png = _blank_png(size, size, colour_type=6, channels=4)
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 6 + 16)
    path.write_bytes(header + entry + png)
    return path


def float_tiff(folder: Path, name: str, size: int = 9459, value: float = 0.5) -> Path:
    """A size x size 32-bit float grey TIFF (deflate strips of one value): under the pixel
    limit, about 640 KB on disk, 358 MB as stored floats."""
    path = folder / name
    rows_per_strip = 64
    strip = struct.pack("<f", value) * (size * rows_per_strip)
    full_strip = zlib.compress(strip, 9)
    strips = []
    for top in range(0, size, rows_per_strip):
        rows = min(rows_per_strip, size - top)
        strips.append(
            full_strip if rows == rows_per_strip else zlib.compress(strip[: rows * size * 4], 9)
        )
    tags = [  # (tag, type, count, value): type 3 SHORT, 4 LONG
        (256, 4, 1, size),  # width
        (257, 4, 1, size),  # height
        (258, 3, 1, 32),  # bits per sample
        (259, 3, 1, 8),  # compression: deflate
        (262, 3, 1, 1),  # photometric: black is zero
        (273, 4, len(strips), None),  # strip offsets
        (277, 3, 1, 1),  # samples per pixel
        (278, 4, 1, rows_per_strip),
        (279, 4, len(strips), None),  # strip byte counts
        (339, 3, 1, 3),  # sample format: IEEE float
    ]
    ifd_size = 2 + 12 * len(tags) + 4
    offsets_at = 8 + ifd_size
    counts_at = offsets_at + 4 * len(strips)
    data_at = counts_at + 4 * len(strips)
    offsets, position = [], data_at
    for data in strips:
        offsets.append(position)
        position += len(data)
    ifd = struct.pack("<H", len(tags))
    for tag, kind, count, value in tags:
        if tag == 273:
            value = offsets_at
        elif tag == 279:
            value = counts_at
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    with open(path, "wb") as file:
        file.write(b"II*\x00" + struct.pack("<I", 8) + ifd)
        file.write(struct.pack(f"<{len(strips)}I", *offsets))
        file.write(struct.pack(f"<{len(strips)}I", *(len(data) for data in strips)))
        for data in strips:
            file.write(data)
    return path


def big_icc_png(folder: Path) -> Path:
    """A small PNG with an ICC profile just over 1 MiB (Pillow's limit for a text chunk), written
    by Pillow itself; the profile compresses to 1 KB."""
    path = folder / "big_icc.png"
    profile = bytes(range(256)) * 4112  # 1 MiB + 4 KB
    Image.new("RGB", (64, 48), (90, 140, 200)).save(path, icc_profile=profile)
    return path


def truncated_avif(folder: Path) -> Path:
    """The first half of a small AVIF (needs a Pillow with AVIF)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(buffer, format="AVIF")
    path = folder / "truncated.avif"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return path


def plain_jpeg(path: Path, colour=(120, 80, 40)) -> Path:
    """A small, ordinary JPEG (for hostile *names*)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), colour).save(path, format="JPEG")
    return path


@contextlib.contextmanager
def nested_folders(top: Path, depth: int, name: str = "d") -> Iterator[Path]:
    """top/d/d/.../d (depth levels) with bottom.jpg at the bottom, removed afterwards; yields
    the path of bottom.jpg. Built with relative calls, so that no path handed to the OS is
    longer than PATH_MAX, and removed with `rm -rf`: Python's own rmtree (pytest's clean-up
    too) recurses, and cannot remove a tree deeper than the recursion limit."""
    top.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=descriptor)
            inner = os.open(name, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
        buffer = io.BytesIO()
        Image.new("RGB", (32, 24), (10, 200, 30)).save(buffer, format="JPEG")
        photo = os.open("bottom.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor)
        os.write(photo, buffer.getvalue())
        os.close(photo)
    finally:
        os.close(descriptor)
    try:
        yield top / Path(*[name] * depth) / "bottom.jpg"
    finally:
        subprocess.run(["rm", "-rf", str(top / name)], check=True, timeout=120)


def _jpeg_with_exif(path: Path, entries: list[tuple[int, int, int, bytes]]) -> Path:
    """A small JPEG whose EXIF block holds one IFD with these (tag, type, count, value) entries."""
    ifd = b"II*\x00" + struct.pack("<IH", 8, len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHI", tag, kind, count) + value
    ifd += struct.pack("<I", 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), (40, 90, 160)).save(path, format="JPEG", exif=b"Exif\0\0" + ifd)
    return path


# What Pillow warns about each of the files below, word for word.
EXIF_WARNINGS = {
    "orientation_twice.jpg": "Metadata Warning, tag 274 had too many entries: 2, expected 1",
    "exif_past_the_end.jpg": "Tag data larger than file. Skipping tag 271",
}


def jpegs_with_odd_exif(folder: Path) -> list[Path]:
    """Photos whose EXIF Pillow reads with a warning (see EXIF_WARNINGS)."""
    return [
        _jpeg_with_exif(folder / "orientation_twice.jpg", [(274, 3, 2, struct.pack("<HH", 6, 6))]),
        _jpeg_with_exif(folder / "exif_past_the_end.jpg", [(271, 2, 100, struct.pack("<I", 5000))]),
    ]
