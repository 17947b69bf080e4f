"""`edgeclass classify --engine ray`: the same command, its images classified by Ray actors.

The files are found as the local engine finds them, each actor holds one model (see
edgeclass.distributed), and the rows come back in input order. Parquet is written by Ray's own
writer, as a folder of part files; the other formats are gathered here and written by the local
engine's writers. Imported by name only when --engine ray is asked for, so the runtime, the plain
command and the bundle never import Ray.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from edgeclass.atomic_files import DIR_MODE, replace_folder
from edgeclass.cli import exit_codes
from edgeclass.cli.arguments import shows_progress
from edgeclass.cli.classify import discover_or_fail, failure_line, write_results
from edgeclass.cli.progress import Progress
from edgeclass.errors import EdgeclassError
from edgeclass.runtime.results import ClassificationResult

if TYPE_CHECKING:
    import ray.data

INSTALL_HINT = "pip install 'edgeclass[scale]'"


def import_engine() -> ModuleType:
    """edgeclass.distributed, or a clear EdgeclassError (exit code 2) when Ray is missing."""
    try:
        import ray.data  # noqa: F401
    except ImportError as error:
        raise EdgeclassError(
            f"--engine ray needs Ray Data, which is not installed here ({error}); "
            f"install it with: {INSTALL_HINT}"
        ) from None
    import edgeclass.distributed

    return edgeclass.distributed


def is_uri(path: str) -> bool:
    return "://" in path


def parquet_target(output: str | None) -> str:
    """Where the Parquet folder goes; fails before any work when it could never be written."""
    if not output or output == "-":
        raise EdgeclassError("--format parquet writes a folder: give it with -o NAME.parquet")
    if is_uri(output):
        return output
    target = Path(output)
    if target.is_dir() and any(not p.name.endswith(".parquet") for p in target.iterdir()):
        raise EdgeclassError(
            f"-o {output} is a folder holding other files than Parquet; choose another name"
        )
    if target.exists() and not target.is_dir():
        raise EdgeclassError(f"-o {output} is a file; Parquet output is a folder of part files")
    parent = target.absolute().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise EdgeclassError(f"-o {output}: folder {parent} does not exist or is not writable")
    return output


def write_parquet(dataset: ray.data.Dataset, output: str) -> None:
    """Ray's writer; a local folder is written beside the target, then swapped in whole."""
    if is_uri(output):  # object stores have no rename: written in place
        dataset.write_parquet(output)
        return
    target = Path(output).absolute()
    staging = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(staging, DIR_MODE)  # what a plain mkdir gives, not mkdtemp's owner-only
        dataset.write_parquet(staging)
        replace_folder(Path(staging), target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_reachable(address: str) -> None:
    """Fail fast on a HOST:PORT nothing listens on (ray.init would wait for it for minutes)."""
    host, _, port = address.rpartition(":")
    if is_uri(address) or not host or not port.isdigit():
        return  # `auto`, `ray://...`: Ray's own lookup, which fails by itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as error:
        raise EdgeclassError(
            f"--ray-address {address}: no Ray cluster answers there ({error}); start one with "
            "`ray start --head`, or leave --ray-address out to start a local one"
        ) from None


def start_ray(address: str | None, quiet: bool, show_progress: bool) -> bool:
    """Join the cluster at `address`, or start a local one; True when this run started it."""
    import ray
    from ray.data import DataContext

    if address is not None:
        check_reachable(address)
    started_here = address is None and not ray.is_initialized()
    ray.init(
        address=address,
        include_dashboard=False if started_here else None,
        logging_level=logging.ERROR if quiet else logging.WARNING,
        log_to_driver=not quiet,
    )
    context = DataContext.get_current()
    context.execution_options.preserve_order = True  # rows in input order, as locally
    context.enable_progress_bars = show_progress
    if not show_progress:  # not even Ray's warning that its bars are off
        logging.getLogger("ray.data").setLevel(logging.ERROR)
    return started_here


def summarise(rows: Iterable[dict[str, Any]], total: int, args: argparse.Namespace) -> int:
    """A line per failed file and the summary, from the rows written; the exit code."""
    progress = Progress(total, sys.stderr, enabled=False)
    for row in rows:
        result = ClassificationResult.from_dict(row)
        progress.update(result)
        if not result.ok and not args.quiet:
            print(failure_line(result), file=sys.stderr)
    if not args.quiet:
        print(progress.summary(), file=sys.stderr)
    return exit_codes.SOME_FILES_FAILED if progress.failed else exit_codes.OK


def run(args: argparse.Namespace) -> int:
    distributed = import_engine()
    import ray
    from ray.data import read_parquet

    from edgeclass.cli.output import check_output
    from edgeclass.runtime.locate import resolve_model_dir

    # `-o NAME.parquet` alone means Parquet: a table (the default -f) in it would make no sense.
    parquet = args.format == "parquet" or (
        args.format == "table" and str(args.output or "").endswith(".parquet")
    )
    output = parquet_target(args.output) if parquet else args.output
    if not parquet:
        check_output(output)
    model = distributed.ModelFiles.read(resolve_model_dir(args.model))
    found = discover_or_fail(args)
    show_progress = shows_progress(args, sys.stderr)
    started_here = start_ray(args.ray_address, args.quiet, show_progress and parquet)
    try:
        classified = distributed.classify_dataset(
            distributed.files_dataset(found.items),
            model,
            actors=args.actors,
            threads_per_actor=args.threads or 1,
            decode_threads=args.decode_threads or 1,
            batch_size=args.batch_size,
            top_k=args.top_k,
            threshold=args.threshold,
            exact_decode=args.exact_decode,
        )
        if not parquet:
            results = distributed.results_from_dataset(classified)
            return write_results(results, len(found.items), args)
        write_parquet(classified, output)
        written = read_parquet(
            output, columns=["path", "path_base64", "status", "label", "message"]
        )
        return summarise(written.iter_rows(), len(found.items), args)
    finally:
        if started_here:
            with contextlib.suppress(Exception):  # shutting down must not hide the real error
                ray.shutdown()
