"""`edgeclass classify --engine ray`: the same command, its images classified by Ray actors.

The files are found as the local engine finds them, each actor holds one model (see
edgeclass.distributed), and the rows come back in input order. Parquet is written by Ray's own
writer, as a folder of part files; the other formats are gathered here and written by the local
engine's writers. Imported by name only when --engine ray is asked for, so the runtime, the plain
command and the bundle never import Ray.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO

from edgeclass.atomic_files import DIR_MODE, replace_folder
from edgeclass.cli import exit_codes
from edgeclass.cli.arguments import shows_progress
from edgeclass.cli.classify import discover_or_fail, failure_line, write_results
from edgeclass.cli.progress import Progress, StatusLine
from edgeclass.cli.signals import (
    FLUSH_WAIT_S,
    STOP_SIGNALS,
    call_before_stopping,
    stop_promptly_on_signals,
)
from edgeclass.errors import DataError, EdgeclassError, ModelError
from edgeclass.runtime.results import ClassificationResult

if TYPE_CHECKING:
    import ray.data

INSTALL_HINT = "pip install 'edgeclass[scale]'"


def import_engine() -> ModuleType:
    """edgeclass.distributed, or a clear EdgeclassError (exit code 2) when Ray is missing."""
    # Read once, when Ray is imported: no call into Ray may start a Ray of its own. Ray Data's
    # threads outlive `ray.shutdown()` by a moment, and would otherwise start a new local Ray
    # (in /tmp/ray, with a token saved in ~/.ray) from whatever call they make next.
    os.environ["RAY_ENABLE_AUTO_CONNECT"] = "0"
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


def write_parquet(
    dataset: ray.data.Dataset, output: str, watch: Callable[[Callable[[], None]], None]
) -> None:
    """Ray's writer, run by `watch`; a local folder is written beside the target, then swapped
    in whole, and removed when the run fails or is stopped."""
    if is_uri(output):  # object stores have no rename: written in place
        watch(lambda: dataset.write_parquet(output))
        return
    target = Path(output).absolute()
    staging = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    call_before_stopping(lambda: shutil.rmtree(staging, ignore_errors=True))
    try:
        os.chmod(staging, DIR_MODE)  # what a plain mkdir gives, not mkdtemp's owner-only
        watch(lambda: dataset.write_parquet(staging))
        replace_folder(Path(staging), target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _private_temp_dirs.append(staging)  # again at exit, should a late part have come
        raise


def check_reachable(address: str) -> None:
    """Fail fast on a HOST:PORT nothing listens on (ray.init would wait for it for minutes)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return  # `auto`: Ray's own lookup, which fails by itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as error:
        raise EdgeclassError(
            f"--ray-address {address}: no Ray cluster answers there ({error}); start one with "
            "`ray start --head`, or leave --ray-address out to start a local one"
        ) from None


def private_local_ray() -> dict[str, Any]:
    """ray.init's arguments for a Ray of this run only, which leaves nothing behind: its session
    files in a temporary folder (not /tmp/ray), its authentication token in the environment of
    its own processes (not ~/.ray/auth_token), no dashboard (no usage statistics either: see
    edgeclass/privacy.py)."""
    # Ray (2.60+) turns token authentication on for a local cluster and, when no token is set,
    # makes one and saves it as ~/.ray/auth_token. A token in the environment is used instead.
    has_token = any(os.environ.get(name) for name in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"))
    if not has_token and not (Path.home() / ".ray" / "auth_token").exists():
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    temp_dir = tempfile.mkdtemp(prefix="ecray-", dir=short_temp_root())
    _private_temp_dirs.append(temp_dir)
    return {"address": "local", "include_dashboard": False, "_temp_dir": temp_dir}


_private_temp_dirs: list[str] = []
# What Ray adds below the folder given to it, with the longest process id.
RAY_SOCKET_TAIL = "/ecray-12345678/session_2026-01-01_00-00-00_000000_4194304/sockets/plasma_store"


def short_temp_root() -> str:
    """Where the run's Ray folder goes: Ray's sockets live in it, and a socket's path has at most
    107 bytes, so a long TMPDIR (macOS: /var/folders/...) gives way to /tmp, as Ray's own default
    does."""
    root = os.environ.get("RAY_TMPDIR") or tempfile.gettempdir()
    fits = len(root) + len(RAY_SOCKET_TAIL) <= 107
    return root if fits or not os.path.isdir("/tmp") else "/tmp"


def start_ray(address: str | None, quiet: bool) -> None:
    """Join the cluster at `address`, or start a Ray of this run's own (never a stranger's:
    neither RAY_ADDRESS nor a `ray start` on this machine is joined without --ray-address)."""
    import ray
    from ray.data import DataContext
    from ray.exceptions import RayError

    if address is not None:
        check_reachable(address)
    where = private_local_ray() if address is None else {"address": address}
    try:
        ray.init(
            **where,
            logging_level=logging.ERROR if quiet else logging.WARNING,
            log_to_driver=not quiet,
        )
    except (ConnectionError, PermissionError, RuntimeError, ValueError, RayError) as error:
        if address is None:
            raise EdgeclassError(f"cannot start a local Ray: {error}") from None
        raise EdgeclassError(f"--ray-address {address}: cannot join the cluster: {error}") from None
    # ray.init puts its own SIGTERM handlers in place (Python's, then its C++ core's, which
    # aborts with a stack trace): put back the local engine's prompt, clean stop (143, 130).
    # Its os._exit leaves Ray as a run cut short should (see leave_ray_at_exit).
    stop_promptly_on_signals()
    context = DataContext.get_current()
    context.execution_options.preserve_order = True  # rows in input order, as locally
    context.enable_progress_bars = False  # edgeclass's own progress line, on stderr
    context.print_on_execution_start = False
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR if quiet else logging.WARNING)
    if quiet:  # nor Ray's Python warnings (advice on block counts and the like)
        warnings.filterwarnings("ignore", module=r"ray\.")
    # Not even Ray Data's warning that its bars are off: edgeclass draws its own.
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)


def refuse_ray_client(address: str) -> None:
    """Ray Data's executor runs in the driver and needs Ray's core worker there, which a Ray
    Client connection does not have: it fails deep inside with "'Worker' object has no attribute
    'core_worker'" (Ray's maintainers: Ray Data does not support Ray Client)."""
    raise EdgeclassError(
        f"--ray-address {address}: Ray Client (ray://) cannot run Ray Data, which --engine ray "
        "uses; run the command on a node of the cluster with --ray-address auto (or HOST:6379), "
        "or as a Ray job (docs/scale.md)"
    )


def stop_ray() -> None:
    """Leave the cluster (a Ray started here stops) and remove this run's Ray files."""
    import ray

    # A second Ctrl+C or SIGTERM must not cut the clean-up short; the run ends in a moment.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    # Ray Data's threads may still be running, and would log (with a traceback) that Ray is gone;
    # so would its iterators' finalizers, when they are collected after the shutdown.
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)
    sys.unraisablehook = _ignore_ray_leftovers
    if _exit_code_when_left is None:
        with contextlib.suppress(Exception):  # shutting down must not hide the real error
            ray.shutdown()
    _remove_private_temp_dirs()


def _remove_private_temp_dirs() -> None:
    while _private_temp_dirs:
        shutil.rmtree(_private_temp_dirs.pop(), ignore_errors=True)


# Set when the run ends by an exception (Ctrl+C, SIGTERM, a stall, an error): the exit code.
_exit_code_when_left: int | None = None


def leave_ray_at_exit(error: BaseException) -> None:
    """End the process with `error`'s exit code once main() has reported it, without stopping
    Ray from here.

    A run cut short leaves Ray Data's threads waiting on Ray; `ray.shutdown()` under them makes
    one touch Ray after it stopped, and Ray's core then ends the process with exit code 1 (seen
    about one run in five), in place of 130 or 143. So Ray is not stopped by this process: a
    joined cluster drops the job of a driver that is gone, and a Ray started here is stopped by
    its reaper process when this one exits. This handler runs before Ray's own (registered
    earlier, run later).
    """
    global _exit_code_when_left
    if isinstance(error, SystemExit):
        code = error.code if isinstance(error.code, int) else 1
    elif isinstance(error, KeyboardInterrupt):
        code = exit_codes.INTERRUPTED
    elif isinstance(error, ModelError):
        code = exit_codes.MODEL_ERROR
    elif isinstance(error, DataError):
        code = exit_codes.DATA_ERROR
    elif isinstance(error, EdgeclassError):
        code = exit_codes.USAGE
    else:
        code = 1  # a bug: Python prints its traceback first
    _exit_code_when_left = code
    atexit.register(_exit_now)


def _exit_now() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    _remove_private_temp_dirs()
    os._exit(_exit_code_when_left if _exit_code_when_left is not None else 1)


def _flush_within(stream: TextIO, seconds: float) -> None:
    """The rows already written handed over, unless the reader does not read for `seconds`."""
    flusher = threading.Thread(target=stream.flush, daemon=True)
    flusher.start()
    flusher.join(seconds)


def _ignore_ray_leftovers(unraisable: Any) -> None:
    """Errors of Ray's objects finalized after Ray stopped are dropped; any other is shown."""
    if type(unraisable.exc_value).__module__.startswith("ray."):
        return
    sys.__unraisablehook__(unraisable)


@contextlib.contextmanager
def stdout_for_results_only() -> Iterator[TextIO]:
    """The real stdout as a stream for the results; fd 1 and sys.stdout point at stderr meanwhile,
    so whatever else writes there (Ray's `(raylet) ...` lines from any node, its C++ core, a
    library's print) lands on stderr, never inside the results."""
    sys.stdout.flush()
    saved = os.dup(1)
    results = open(os.dup(1), "w", encoding="utf-8", newline="")  # noqa: SIM115
    previous = sys.stdout
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    call_before_stopping(lambda: _flush_within(results, FLUSH_WAIT_S))
    try:
        yield results
    finally:
        with contextlib.suppress(OSError):  # a reader gone (`| head`)
            results.close()
        os.dup2(saved, 1)
        os.close(saved)
        sys.stdout = previous


def summarise(
    rows: Iterable[dict[str, Any]], total: int, args: argparse.Namespace, started: float
) -> int:
    """A line per failed file and the summary, from the rows written; the exit code."""
    progress = Progress(total, sys.stderr, enabled=False)
    progress.started = started
    for row in rows:
        result = ClassificationResult.from_dict(row)
        progress.update(result)
        if not result.ok and not args.quiet:
            print(failure_line(result), file=sys.stderr)
    if not args.quiet:
        print(progress.summary(), file=sys.stderr)
    return exit_codes.SOME_FILES_FAILED if progress.failed else exit_codes.OK


STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    call_before_stopping(_remove_private_temp_dirs)  # a signal's stop: this run's Ray files
    stop_promptly_on_signals()
    distributed = import_engine()
    if (args.ray_address or "").startswith("ray://"):
        refuse_ray_client(args.ray_address)
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
        if output in STDOUT_NAMES:  # fd 1 is stderr during the run: results take the saved one
            args.output = None
    model = distributed.ModelFiles.read(resolve_model_dir(args.model))
    found = discover_or_fail(args)
    with stdout_for_results_only() as results_stdout:
        try:
            start_ray(args.ray_address, args.quiet)
            counter = distributed.RowCounter()
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
                counter=counter,
            )
            if not parquet:
                results = distributed.results_from_dataset(classified, counter, args.stall_timeout)
                return write_results(
                    results, len(found.items), args, stdout=results_stdout, started=started
                )
            line = StatusLine(sys.stderr, enabled=shows_progress(args, sys.stderr))
            total = len(found.items)

            def show(count: int) -> None:
                if line.due(final=False):
                    line.draw(f"{min(count, total)}/{total} images classified ")

            def watch(work: Callable[[], None]) -> None:
                with distributed.stall_watch(counter, args.stall_timeout, show):
                    work()
                line.clear()

            write_parquet(classified, output, watch)
            # Read by Ray's tasks, on any node: by its absolute name, as the photos are.
            where = output if is_uri(output) else os.path.abspath(output)
            written = read_parquet(
                where, columns=["path", "path_base64", "status", "label", "message"]
            )
            return summarise(written.iter_rows(), total, args, started)
        except BaseException as error:
            leave_ray_at_exit(error)
            raise
        finally:
            stop_ray()
