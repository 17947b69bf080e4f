"""Ray Datasets in and out: files to rows, rows through the actor pool, result rows back."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import ray
import ray.data

from edgeclass.distributed.actor import ClassifyBatch, ClassifyOptions
from edgeclass.distributed.model_files import ModelFiles
from edgeclass.runtime.discovery import discover
from edgeclass.runtime.images import DEFAULT_MAX_PIXELS
from edgeclass.runtime.results import ClassificationResult

# Rows per call of an actor: big enough that Ray's per-call cost (~ms) is noise next to ~64
# inferences, small enough that the progress bar moves and a slow actor holds back little.
DEFAULT_ROWS_PER_CALL = 64
MIN_BLOCKS = 16


def files_dataset(
    paths: Iterable[str | Path | ClassificationResult], recursive: bool = False
) -> ray.data.Dataset:
    """One row per file to classify, in the order `edgeclass classify` gives them.

    `paths` are scanned as the CLI scans them (folders expanded, sorted, hidden files skipped);
    already-scanned items (`Discovery.items`) are taken as they are. The path travels as the
    exact bytes of its name, so names that are not UTF-8 survive; the workers open the files, so
    they must see the same paths (one machine, or a filesystem every node mounts).
    """
    given = list(paths)
    items: list[Path | ClassificationResult] = []
    if all(isinstance(item, (Path, ClassificationResult)) for item in given):
        items = [item for item in given if not isinstance(item, str)]
    else:
        names = [item.path if isinstance(item, ClassificationResult) else item for item in given]
        items = discover(names, recursive=recursive).items
    rows = [
        {"path": os.fsencode(item), "status": None, "message": None}
        if isinstance(item, Path)
        else {"path": os.fsencode(item.path), "status": item.status.value, "message": item.message}
        for item in items
    ]
    # Enough blocks for every actor of a small cluster to get work, even for a short list.
    blocks = max(1, min(len(rows), max(MIN_BLOCKS, -(-len(rows) // DEFAULT_ROWS_PER_CALL))))
    return ray.data.from_items(rows, override_num_blocks=blocks)


def default_actor_count(threads_per_actor: int = 1) -> int:
    """One actor per `threads_per_actor` CPUs of the cluster as it is now (at least one)."""
    if not ray.is_initialized():
        ray.init()
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    cpus = resources.get("CPU", 1)
    return max(1, int(cpus // threads_per_actor))


def classify_dataset(
    dataset: ray.data.Dataset,
    model_dir: str | Path | ModelFiles | None = None,
    *,
    actors: int | None = None,
    threads_per_actor: int = 1,
    decode_threads: int = 1,
    batch_size: int = 2,
    rows_per_call: int = DEFAULT_ROWS_PER_CALL,
    top_k: int = 1,
    threshold: float = 0.0,
    exact_decode: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    report_model_instance: bool = False,
) -> ray.data.Dataset:
    """`dataset` classified by a pool of `actors` Ray actors, each holding one model.

    `dataset` rows: `bytes` + `path` (as `ray.data.read_binary_files(..., include_paths=True)`
    makes them) or `path` alone (a file each worker opens; see `files_dataset`). The result
    rows are `classify --format json`'s (schema.RESULT_SCHEMA), plus a `model_instance` column
    with `report_model_instance`. Each actor reserves `threads_per_actor` CPUs and runs
    onnxruntime on that many threads; `batch_size` is the inference batch inside an actor.
    Nothing runs until the Dataset is consumed (written, iterated).
    """
    model = model_dir if isinstance(model_dir, ModelFiles) else ModelFiles.read(model_dir)
    options = ClassifyOptions(
        threads=threads_per_actor,
        decode_threads=decode_threads,
        batch_size=batch_size,
        top_k=top_k,
        threshold=threshold,
        exact_decode=exact_decode,
        max_pixels=max_pixels,
        report_model_instance=report_model_instance,
    )
    size = actors or default_actor_count(threads_per_actor)
    return dataset.map_batches(
        ClassifyBatch,
        batch_size=rows_per_call,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=size),
        num_cpus=threads_per_actor,
        # Ray Data puts the class and these arguments (the model's bytes) in the object store
        # once; every actor, on any node, starts from that copy.
        fn_constructor_args=(model, options),
    )


def results_from_dataset(dataset: ray.data.Dataset) -> Iterator[ClassificationResult]:
    """The results of a classified dataset, streamed as they are made."""
    for row in dataset.iter_rows():
        yield ClassificationResult.from_dict(row)
