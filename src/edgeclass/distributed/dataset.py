"""Ray Datasets in and out: files to rows, rows through the actor pool, result rows back."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import ray
import ray.data
from ray.data.dataset import MaterializedDataset

from edgeclass.distributed.actor import ClassifyBatch, ClassifyOptions
from edgeclass.distributed.model_files import ModelFiles
from edgeclass.distributed.pool import node_cpus, plan_pool
from edgeclass.distributed.watch import DEFAULT_STALL_TIMEOUT_S, RowCounter, watched_rows
from edgeclass.runtime.discovery import discover
from edgeclass.runtime.images import DEFAULT_MAX_PIXELS
from edgeclass.runtime.results import ClassificationResult

# Rows per call of an actor: big enough that Ray's per-call cost (~ms) is noise next to ~64
# inferences, small enough that the progress bar moves and a slow actor holds back little.
DEFAULT_ROWS_PER_CALL = 64
MIN_BLOCKS = 16

logger = logging.getLogger(__name__)


def is_uri(path: str | bytes) -> bool:
    """`s3://bucket/key`, `gs://...`, `file:///...`: sent as they are, never made absolute."""
    return (b"://" if isinstance(path, bytes) else "://") in path


def _path_row(path: str | Path) -> dict[str, bytes | str | None]:
    """The name as the user gave it (shown in the result) and, for a relative one, the absolute
    name the worker opens: a worker's current folder is wherever its node's `ray start` ran."""
    shown = os.fsencode(path)
    absolute = shown if is_uri(shown) else os.path.abspath(shown)
    return {
        "path": shown,
        "open_path": None if absolute == shown else absolute,
        "status": None,
        "message": None,
    }


def _scan_keeping_uris(
    names: list[str | Path], recursive: bool
) -> list[Path | str | ClassificationResult]:
    """`discover` for local names; a URI keeps its place as it is (a Path would fold its `//`)."""
    items: list[Path | str | ClassificationResult] = []
    seen: set[Path | str] = set()  # duplicates keep their first place, as in `discover`
    local: list[str | Path] = []
    for name in [*names, None]:
        if name is not None and not is_uri(os.fspath(name)):
            local.append(name)
            continue
        for item in discover(local, recursive=recursive).items if local else []:
            key = item if isinstance(item, Path) else Path(item.path)
            if key not in seen:
                seen.add(key)
                items.append(item)
        local = []
        if name is not None and str(name) not in seen:
            seen.add(str(name))
            items.append(str(name))
    return items


def files_dataset(
    paths: Iterable[str | Path | ClassificationResult], recursive: bool = False
) -> MaterializedDataset:
    """One row per file to classify, in the order `edgeclass classify` gives them.

    `paths` are scanned as the CLI scans them (folders expanded, sorted, hidden files skipped);
    already-scanned items (`Discovery.items`) are taken as they are. Relative names are resolved
    here, on the driver, and the rows still show them as given. The path travels as the exact
    bytes of its name, so names that are not UTF-8 survive; the workers open the files, so they
    must see the same paths (one machine, or a filesystem every node mounts at the same place).
    URIs are passed through untouched (and are not found: read object stores with
    `ray.data.read_binary_files`).
    """
    given = list(paths)
    items: list[Path | str | ClassificationResult] = []
    if all(isinstance(item, (Path, ClassificationResult)) for item in given):
        items = [item for item in given if not isinstance(item, str)]
    else:
        names = [item.path if isinstance(item, ClassificationResult) else item for item in given]
        items = _scan_keeping_uris(names, recursive)
    rows = [
        {
            "path": os.fsencode(item.path),
            "open_path": None,
            "status": item.status.value,
            "message": item.message,
        }
        if isinstance(item, ClassificationResult)
        else _path_row(item)
        for item in items
    ]
    # Enough blocks for every actor of a small cluster to get work, even for a short list.
    blocks = max(1, min(len(rows), max(MIN_BLOCKS, -(-len(rows) // DEFAULT_ROWS_PER_CALL))))
    return ray.data.from_items(rows, override_num_blocks=blocks)


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
    reserve_cpu_for_tasks: bool | None = None,
    counter: RowCounter | None = None,
) -> ray.data.Dataset:
    """`dataset` classified by a pool of Ray actors, each holding one model.

    `dataset` rows: `bytes` + `path` (as `ray.data.read_binary_files(..., include_paths=True)`
    makes them) or `path` alone (a file each worker opens; see `files_dataset`). The result
    rows are `classify --format json`'s (schema.RESULT_SCHEMA), plus a `model_instance` column
    with `report_model_instance`. Each actor runs onnxruntime on `threads_per_actor` threads
    and reserves as many CPUs; `batch_size` is the inference batch inside an actor.

    The pool is sized from the cluster as it is now (see pool.py): `actors` (default: one per
    `threads_per_actor` CPUs) start if they fit, else as many as fit and Ray Data adds the rest
    when nodes join. One CPU stays free for the tasks around the pool when
    `reserve_cpu_for_tasks` (default: when `dataset` still has tasks to run, such as
    `read_binary_files`' reads; a `files_dataset` has none). `counter` (a `RowCounter`) counts
    the rows classified, for progress and the stall detector (`stall_watch`, `watched_rows`).
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
    if reserve_cpu_for_tasks is None:
        reserve_cpu_for_tasks = not isinstance(dataset, MaterializedDataset)
    if not ray.is_initialized():
        ray.init()
    plan = plan_pool(node_cpus(), threads_per_actor, actors, reserve_cpu_for_tasks)
    if actors is not None and plan.min_actors < actors:
        logger.warning(
            "%d actors asked for; the cluster has room for %d now%s: starting %d, more if "
            "nodes join",
            actors,
            plan.min_actors,
            " beside its read and write tasks" if reserve_cpu_for_tasks else "",
            plan.min_actors,
        )
    return dataset.map_batches(
        ClassifyBatch,
        batch_size=rows_per_call,
        batch_format="pyarrow",
        compute=plan.compute,
        num_cpus=plan.cpus_per_actor,
        # Ray Data puts the class and these arguments (the model's bytes) in the object store
        # once; every actor, on any node, starts from that copy.
        fn_constructor_args=(model, options, counter),
    )


def results_from_dataset(
    dataset: ray.data.Dataset,
    counter: RowCounter | None = None,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT_S,
) -> Iterator[ClassificationResult]:
    """The results of a classified dataset, streamed as they are made; with the `counter`
    given to `classify_dataset`, ClusterStalled after `stall_timeout` s without progress."""
    rows = dataset.iter_rows()
    if counter is not None:
        rows = watched_rows(rows, counter, stall_timeout)
    for row in rows:
        yield ClassificationResult.from_dict(row)
