"""Image files for the tests: photo-like pictures, every mode the runtime accepts, malformed files.

Shared by tests/runtime and tests/cli (pytest puts tests/ on sys.path for its conftest.py).
Each mode writer takes a folder and returns the path it wrote.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image


def photo_like(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth RGB uint8 picture (gradients + a blob + mild noise), different for each seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    blob = np.exp(-(((x - cx) / (0.2 * width)) ** 2 + ((y - cy) / (0.2 * height)) ** 2))
    red = 255 * x / max(width - 1, 1)
    green = 255 * y / max(height - 1, 1)
    blue = 255 * blob
    base = np.stack([red, green, blue], axis=-1) * rng.uniform(0.5, 1.0, size=3)
    return np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)


def _photo(size=(90, 70), seed=0) -> Image.Image:
    return Image.fromarray(photo_like(*size, seed=seed))


def grey_l(folder: Path) -> Path:
    path = folder / "grey_l.png"
    _photo().convert("L").save(path)
    return path


def grey_alpha_la(folder: Path) -> Path:
    path = folder / "grey_alpha_la.png"
    _photo(seed=1).convert("LA").save(path)
    return path


def palette_p(folder: Path) -> Path:
    path = folder / "palette_p.png"
    _photo(seed=2).convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(path)
    return path


def palette_transparent(folder: Path) -> Path:
    path = folder / "palette_transparent.png"
    image = _photo(seed=3).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    image.save(path, transparency=0)
    return path


def rgba(folder: Path) -> Path:
    path = folder / "rgba.png"
    image = _photo(seed=4).convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, image.width, dtype=np.uint8), (image.height, 1))
    image.putalpha(Image.fromarray(alpha))
    image.save(path)
    return path


def cmyk_jpeg(folder: Path) -> Path:
    path = folder / "cmyk.jpg"
    _photo(seed=5).convert("CMYK").save(path, quality=95)
    return path


def cmyk_tiff(folder: Path) -> Path:
    path = folder / "cmyk.tif"
    _photo(seed=6).convert("CMYK").save(path)
    return path


def bilevel_1(folder: Path) -> Path:
    path = folder / "bilevel_1.png"
    _photo(seed=7).convert("1").save(path)
    return path


def animated_gif(folder: Path) -> Path:
    path = folder / "animated.gif"
    frames = [_photo(seed=s).convert("P", palette=Image.Palette.ADAPTIVE) for s in (8, 9, 10)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


def animated_webp(folder: Path) -> Path:
    path = folder / "animated.webp"
    frames = [_photo(seed=s) for s in (11, 12)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, lossless=True)
    return path


def exif_rotated(folder: Path) -> Path:
    """A landscape JPEG whose EXIF says "rotate 90° clockwise" (orientation 6)."""
    path = folder / "exif_rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    _photo(size=(120, 60), seed=13).save(path, exif=exif, quality=95)
    return path


def gradient_16bit() -> np.ndarray:
    """A 16-bit grey ramp over the whole 0..65535 range."""
    return np.tile(np.linspace(0, 65535, 80).round().astype(np.uint16), (60, 1))


def grey_16bit(folder: Path) -> Path:
    path = folder / "grey_16bit.png"
    image = Image.fromarray(gradient_16bit())
    assert image.mode == "I;16"
    image.save(path)
    return path


def int32_tiff(folder: Path) -> Path:
    path = folder / "int32.tif"
    Image.fromarray(gradient_16bit().astype(np.int32)).save(path)
    return path


def float_tiff(folder: Path) -> Path:
    path = folder / "float.tif"
    Image.fromarray((gradient_16bit() / 65535.0).astype(np.float32)).save(path)
    return path


# Modes whose RGB conversion is exactly Pillow's `convert("RGB")` (transformers' load_image).
PILLOW_COMPATIBLE: dict[str, Callable[[Path], Path]] = {
    "L": grey_l,
    "LA": grey_alpha_la,
    "P": palette_p,
    "P+transparency": palette_transparent,
    "RGBA": rgba,
    "CMYK JPEG": cmyk_jpeg,
    "CMYK TIFF": cmyk_tiff,
    "1": bilevel_1,
    "animated GIF": animated_gif,
    "animated WebP": animated_webp,
    "EXIF rotated": exif_rotated,
}
# Modes Pillow's convert would clip at 255; the runtime scales them to 8 bits instead.
HIGH_BIT_DEPTH: dict[str, Callable[[Path], Path]] = {
    "I;16": grey_16bit,
    "I": int32_tiff,
    "F": float_tiff,
}
ALL_MODES = {**PILLOW_COMPATIBLE, **HIGH_BIT_DEPTH}


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bomb(folder: Path, width: int, height: int) -> Path:
    """A valid greyscale PNG of width x height zeros: a few hundred KB that inflate enormously."""
    path = folder / f"bomb_{width}x{height}.png"
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )
    return path


def png_claiming(folder: Path, width: int, height: int) -> Path:
    """A PNG whose (valid) header claims width x height, followed by almost no pixel data."""
    path = folder / f"claims_{width}x{height}.png"
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )
    return path


def truncated(source: Path, target: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target
