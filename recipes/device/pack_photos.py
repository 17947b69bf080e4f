"""Pack a folder of class sub-folders small enough to travel to the lent GPU machine.

The device tool sends at most 64 MiB with the working tree; catsdogs/train is about 95 MB of
JPEGs on disk. This re-encodes every photo as WebP, resized to EDGE x EDGE (the catsdogs photos
are already square: 200x200), into DEST/<label>/, keeping the folder's labels and file stems.
Re-encoding adds WebP artefacts on top of the JPEG ones, a small shift from the photos the
model meets later; the int8 model is verified here on the original test JPEGs.

    python recipes/device/pack_photos.py ../shared/data/catsdogs/train .device/catsdogs/train \
        [--edge 176] [--quality 80]

Prints one JSON object: photos, labels, size in MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageOps

from edgeclass.trainer.data import find_images


def _pack_one(job: tuple[Path, Path, int, int]) -> int:
    source, target, edge, quality = job
    with Image.open(source) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        if image.size != (edge, edge):
            image = image.resize((edge, edge), Image.Resampling.BICUBIC)
    # temp file + rename: an interrupted run never leaves a truncated photo behind
    handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    image.save(temp, "WEBP", quality=quality, method=4)
    os.replace(temp, target)
    return target.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of class sub-folders")
    parser.add_argument("dest", type=Path, help="output folder (created; existing photos kept)")
    parser.add_argument("--edge", type=int, default=176, help="output side in pixels")
    parser.add_argument("--quality", type=int, default=80, help="WebP quality, 0-100")
    args = parser.parse_args(argv)

    labels = sorted(p.name for p in args.source.iterdir() if p.is_dir() and p.name[0] != ".")
    if len(labels) < 2:
        parser.error(f"{args.source} needs at least two class sub-folders")
    jobs = []
    for label in labels:
        # the files the trainer would read there: any depth, its extensions, no hidden ones
        for path in find_images(args.source / label):
            target = (args.dest / label / path.relative_to(args.source / label)).with_suffix(
                ".webp"
            )
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                jobs.append((path, target, args.edge, args.quality))
    # threads suffice: Pillow decodes, resizes and encodes without holding the GIL
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(_pack_one, jobs))
    photos = [p for label in labels for p in (args.dest / label).rglob("*.webp")]
    size = sum(p.stat().st_size for p in photos)
    print(json.dumps({"photos": len(photos), "labels": labels, "mib": round(size / 2**20, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
