"""Find the labelled images: a folder of class sub-folders (optionally pre-split) or a HF dataset.

Folder scanning follows timm's `find_images_and_targets`: sorted, lower-cased extensions, class
names from the sorted sub-folder names, so two scans of the same folder give the same order.
"""

from __future__ import annotations

import hashlib
import io
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgeclass.errors import DataError
from edgeclass.image_formats import IMAGE_EXTENSIONS

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

DATA_FILE_EXTENSIONS = frozenset({".parquet", ".arrow", ".csv", ".jsonl", ".json"})
SPLIT_NAMES = {
    "train": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
}


@dataclass(frozen=True)
class Sample:
    """One labelled image: a file on disk or encoded bytes (from a HF dataset)."""

    label: int
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)
    name: str = ""

    def open(self) -> Image.Image:
        """Decode to an upright RGB PIL image through the runtime's loader, so training sees
        the pixels inference sees (16-bit images scaled, not clipped). Raises ValueError on
        bad files."""
        from edgeclass.runtime.images import ImageLoadError, load_image

        source = self.path if self.path is not None else io.BytesIO(self.data or b"")
        try:
            return load_image(source)
        except ImageLoadError as error:
            raise ValueError(f"{self.display_name}: {error.message}") from None

    def read_bytes(self) -> bytes:
        return self.path.read_bytes() if self.path is not None else (self.data or b"")

    @property
    def display_name(self) -> str:
        return str(self.path) if self.path is not None else self.name


@dataclass
class DataSplits:
    labels: tuple[str, ...]
    train: list[Sample]
    val: list[Sample]
    test: list[Sample]
    source: str
    split_origin: str  # "folders" (given) or "seeded stratified split"
    skipped: int = 0
    duplicates: int = 0

    def summary(self) -> dict[str, Any]:
        def counts(samples: Sequence[Sample]) -> dict[str, int]:
            per = Counter(s.label for s in samples)
            return {self.labels[i]: per.get(i, 0) for i in range(len(self.labels))}

        return {
            "source": self.source,
            "labels": list(self.labels),
            "split_origin": self.split_origin,
            "train": len(self.train),
            "val": len(self.val),
            "test": len(self.test),
            "train_per_class": counts(self.train),
            "val_per_class": counts(self.val),
            "test_per_class": counts(self.test),
            "skipped_unreadable": self.skipped,
            "duplicates_across_splits": self.duplicates,
        }


def load_data(
    data: str,
    *,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    max_samples: int | None = None,
    seed: int = 42,
    image_column: str = "image",
    label_column: str = "label",
    dataset_config: str | None = None,
) -> DataSplits:
    """Load `data` (folder or HF dataset id) into train/val/test splits of readable samples."""
    path = Path(data).expanduser()
    if path.is_dir() and not _has_only_data_files(path):
        splits = _load_folder(path, val_fraction, test_fraction, seed)
    elif path.is_dir() or not _looks_like_path(data):
        splits = _load_hf_dataset(
            str(path) if path.is_dir() else data,
            image_column,
            label_column,
            dataset_config,
            val_fraction,
            test_fraction,
            seed,
        )
    elif path.exists():
        raise DataError(f"--data must be a folder of class sub-folders, not a file: {path}")
    else:
        raise DataError(f"data folder not found: {path}")
    if max_samples is not None:
        rng = random.Random(seed)
        splits.train = stratified_take(splits.train, max_samples, rng)
        splits.val = stratified_take(splits.val, max_samples, rng)
        splits.test = stratified_take(splits.test, max_samples, rng)
    _check_splits(splits)
    splits.duplicates = warn_duplicates(splits)
    return splits


def _looks_like_path(data: str) -> bool:
    """A hub id is `name` or `owner/name`; anything else is meant as a local path."""
    return (
        data.startswith((".", "/", "~"))
        or data.count("/") > 1
        or "\\" in data
        or Path(data).suffix.lower() in IMAGE_EXTENSIONS
    )


def _has_only_data_files(folder: Path) -> bool:
    """A folder with parquet/arrow/csv files and no class folders is a local HF dataset."""
    if _class_dirs(folder) and not (folder / "data").is_dir():
        return False
    return any(p.suffix.lower() in DATA_FILE_EXTENSIONS for p in folder.rglob("*"))


def _class_dirs(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def find_images(folder: Path) -> list[Path]:
    """Every image file under `folder`, recursively, in sorted order."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_EXTENSIONS
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def scan_class_folders(
    root: Path, labels: Sequence[str] | None = None
) -> tuple[tuple[str, ...], list[Sample], int]:
    """Scan `root/<class>/**/image` into samples; returns (labels, samples, skipped_unreadable).

    With `labels` given (a val/test folder next to train/), sub-folders must be among them.
    """
    class_dirs = _class_dirs(root)
    if labels is None:
        labels = tuple(d.name for d in class_dirs)
        if len(labels) < 2:
            found = f"only '{labels[0]}'" if labels else "none"
            raise DataError(
                f"{root} needs at least two class sub-folders (one per label), found {found}"
            )
    else:
        unknown = sorted({d.name for d in class_dirs} - set(labels))
        if unknown:
            raise DataError(
                f"{root} has class folder(s) not in the training classes: {', '.join(unknown)}"
            )
    index = {name: i for i, name in enumerate(labels)}
    samples: list[Sample] = []
    skipped = 0
    for class_dir in class_dirs:
        files = find_images(class_dir)
        readable = [p for p in files if _header_ok(p)]
        skipped += len(files) - len(readable)
        if not readable:
            raise DataError(f"class folder '{class_dir}' has no readable images")
        samples.extend(Sample(label=index[class_dir.name], path=p) for p in readable)
    return tuple(labels), samples, skipped


def _header_ok(path: Path) -> bool:
    """Cheap check that PIL recognises the file (full decode happens later, guarded too)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.size  # noqa: B018 - reading the header is the check
        return True
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as error:
        log.warning("skipping unreadable image %s: %s", path, error)
        return False


def _load_folder(root: Path, val_fraction: float, test_fraction: float, seed: int) -> DataSplits:
    subdirs = {d.name.lower(): d for d in _class_dirs(root)}
    split_dirs = {SPLIT_NAMES[name]: d for name, d in subdirs.items() if name in SPLIT_NAMES}
    rng = random.Random(seed)
    if "train" in split_dirs:
        labels, train, skipped = scan_class_folders(split_dirs["train"])
        given: dict[str, list[Sample]] = {}
        for split in ("val", "test"):
            if split in split_dirs:
                _, given[split], extra = scan_class_folders(split_dirs[split], labels)
                skipped += extra
        if "val" not in given:
            train, given["val"] = stratified_split(train, val_fraction, rng)
        if "test" not in given:
            fraction = test_fraction / max(1e-9, 1.0 - val_fraction)
            train, given["test"] = stratified_split(train, fraction, rng)
        origin = "folders " + "+".join(sorted(split_dirs)) + " (missing splits: seeded)"
        if len(split_dirs) == 3:
            origin = "folders train/val/test"
        return DataSplits(labels, train, given["val"], given["test"], str(root), origin, skipped)
    labels, samples, skipped = scan_class_folders(root)
    train, val, test = split_three(samples, val_fraction, test_fraction, rng)
    return DataSplits(labels, train, val, test, str(root), "seeded stratified split", skipped)


def split_three(
    samples: list[Sample], val_fraction: float, test_fraction: float, rng: random.Random
) -> tuple[list[Sample], list[Sample], list[Sample]]:
    rest, test = stratified_split(samples, test_fraction, rng)
    fraction = val_fraction / max(1e-9, 1.0 - test_fraction)
    train, val = stratified_split(rest, fraction, rng)
    return train, val, test


def stratified_split(
    samples: Sequence[Sample], fraction: float, rng: random.Random
) -> tuple[list[Sample], list[Sample]]:
    """Split off `fraction` of every class (at least one image when the class has 3 or more)."""
    if fraction <= 0:
        return list(samples), []
    keep: list[Sample] = []
    taken: list[Sample] = []
    for _, group in sorted(_by_label(samples).items()):
        group = list(group)
        rng.shuffle(group)
        n = round(len(group) * fraction)
        if n == 0 and len(group) >= 3:
            n = 1
        taken.extend(group[:n])
        keep.extend(group[n:])
    return _in_source_order(keep, samples), _in_source_order(taken, samples)


def stratified_take(samples: Sequence[Sample], limit: int, rng: random.Random) -> list[Sample]:
    """At most `limit` samples, keeping the class proportions."""
    if len(samples) <= limit:
        return list(samples)
    kept: list[Sample] = []
    for _, group in sorted(_by_label(samples).items()):
        group = list(group)
        rng.shuffle(group)
        kept.extend(group[: max(1, round(limit * len(group) / len(samples)))])
    return _in_source_order(kept, samples)


def _by_label(samples: Iterable[Sample]) -> dict[int, list[Sample]]:
    groups: dict[int, list[Sample]] = defaultdict(list)
    for sample in samples:
        groups[sample.label].append(sample)
    return groups


def _in_source_order(subset: list[Sample], source: Sequence[Sample]) -> list[Sample]:
    ids = {id(s) for s in subset}
    return [s for s in source if id(s) in ids]


def _check_splits(splits: DataSplits) -> None:
    if not splits.train:
        raise DataError(f"no training images found in {splits.source}")
    missing = [
        splits.labels[i]
        for i in range(len(splits.labels))
        if not any(s.label == i for s in splits.train)
    ]
    if missing:
        raise DataError(f"class(es) with no training images: {', '.join(missing)}")
    if not splits.val:
        raise DataError(
            "the validation split is empty: add images, a val/ folder, or raise --val-fraction"
        )


def warn_duplicates(splits: DataSplits) -> int:
    """Hash every image's bytes; warn about images that sit in more than one split."""
    seen: dict[str, tuple[str, Sample]] = {}
    duplicates: list[tuple[Sample, str, Sample, str]] = []
    for split_name, samples in (
        ("train", splits.train),
        ("val", splits.val),
        ("test", splits.test),
    ):
        for sample in samples:
            try:
                digest = hashlib.sha1(sample.read_bytes(), usedforsecurity=False).hexdigest()
            except OSError:
                continue
            first = seen.setdefault(digest, (split_name, sample))
            if first[0] != split_name:
                duplicates.append((first[1], first[0], sample, split_name))
    if duplicates:
        examples = "; ".join(
            f"{a.display_name} ({sa}) = {b.display_name} ({sb})" for a, sa, b, sb in duplicates[:3]
        )
        log.warning(
            "%d image(s) appear in more than one split (same bytes), which inflates validation "
            "and test scores; e.g. %s",
            len(duplicates),
            examples,
        )
    return len(duplicates)


def _load_hf_dataset(
    name: str,
    image_column: str,
    label_column: str,
    dataset_config: str | None,
    val_fraction: float,
    test_fraction: float,
    seed: int,
) -> DataSplits:
    """A Hugging Face dataset id (or a local folder of parquet/arrow/csv files)."""
    try:
        import datasets
    except ImportError as error:  # pragma: no cover - the train extra installs it
        raise DataError("Hugging Face datasets need the `datasets` package") from error
    try:
        loaded = datasets.load_dataset(name, dataset_config)
    except (OSError, ValueError, ConnectionError, datasets.exceptions.DatasetNotFoundError) as err:
        raise DataError(
            f"cannot load '{name}' as a local folder or Hugging Face dataset ({err}). A local "
            "folder must exist; a hub dataset needs internet access (or a cached copy)."
        ) from err
    if not isinstance(loaded, datasets.DatasetDict):
        loaded = datasets.DatasetDict({"train": loaded})
    splits_by_name = {SPLIT_NAMES.get(k.lower()): v for k, v in loaded.items()}
    if "train" not in splits_by_name:
        raise DataError(f"dataset '{name}' has no train split (splits: {', '.join(loaded)})")
    train_ds = splits_by_name["train"]
    for column in (image_column, label_column):
        if column not in train_ds.column_names:
            raise DataError(
                f"dataset '{name}' has no column '{column}' (columns: "
                f"{', '.join(train_ds.column_names)}); pass --image-column/--label-column"
            )
    feature = train_ds.features[label_column]
    if isinstance(feature, datasets.ClassLabel):
        labels = tuple(feature.names)
    else:
        labels = tuple(sorted({str(v) for v in train_ds[label_column]}))
    if len(labels) < 2:
        raise DataError(f"dataset '{name}' has {len(labels)} class(es); at least two are needed")

    def to_samples(ds: Any, split: str) -> list[Sample]:
        ds = ds.cast_column(image_column, datasets.Image(decode=False))
        index = {label: i for i, label in enumerate(labels)}
        samples = []
        for row_number, row in enumerate(ds):
            image, value = row[image_column], row[label_column]
            label = value if isinstance(feature, datasets.ClassLabel) else index[str(value)]
            data = image.get("bytes")
            path = Path(image["path"]) if data is None and image.get("path") else None
            samples.append(
                Sample(label=int(label), path=path, data=data, name=f"{name}:{split}[{row_number}]")
            )
        return samples

    train = to_samples(train_ds, "train")
    rng = random.Random(seed)
    val = to_samples(splits_by_name["val"], "val") if "val" in splits_by_name else None
    test = to_samples(splits_by_name["test"], "test") if "test" in splits_by_name else None
    if val is None:
        train, val = stratified_split(train, val_fraction, rng)
    if test is None:
        train, test = stratified_split(train, test_fraction / max(1e-9, 1 - val_fraction), rng)
    return DataSplits(labels, train, val, test, name, "dataset splits (missing ones seeded)")
