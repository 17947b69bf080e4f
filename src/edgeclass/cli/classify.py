"""`edgeclass classify`: classify image files and folders with an ONNX model folder.

Only stdlib at module level: the runtime (onnxruntime, numpy, Pillow) is imported inside `run`,
so `edgeclass --help` stays instant.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from edgeclass.cli import exit_codes
from edgeclass.cli.arguments import (
    add_command,
    add_model_option,
    positive_int,
    probability,
    shows_progress,
)
from edgeclass.errors import DataError, EdgeclassError
from edgeclass.image_formats import extensions_text

if TYPE_CHECKING:
    from edgeclass.runtime import ClassificationResult
    from edgeclass.runtime.discovery import Discovery

DESCRIPTION = """\
Classify image files and folders, offline, with an ONNX model folder.

Results go to stdout (or --output FILE, written to a temp file and renamed, so it is never
half-written); a progress bar, one line per file that failed, and a summary go to stderr.
Output rows keep the input order: the paths as given, folders expanded in sorted name order.
A file that cannot be classified (missing, empty, not an image, corrupt, too large, no
permission) gets its own status and message, and the batch goes on.
"""

EPILOG = """\
model: --model DIR, else $EDGECLASS_MODEL, else the model bundled with this build.
exit codes: 0 all files classified; 1 some files skipped or failed; 2 bad command line or
unwritable output; 3 model missing or broken; 4 no image files found; 130 interrupted;
143, 129 stopped by SIGTERM, SIGHUP (within a second, whatever is decoding).

examples:
  edgeclass classify photos/ --model my-model
  edgeclass classify photos/ -r --format csv --output results.csv
  edgeclass classify a.jpg b.png --top-k 3 --threshold 0.6 --format jsonl
  edgeclass classify photos/ -r --engine ray -o results.parquet
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "classify",
        help="classify image files and folders with an ONNX model",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help=f"image files and/or folders (a folder contributes its {extensions_text()} "
        "files; hidden files are skipped)",
    )
    parser.add_argument(
        "-r", "--recursive", action="store_true", help="also look inside sub-folders"
    )
    add_model_option(parser)
    parser.add_argument(
        "-f",
        "--format",
        choices=("table", "csv", "json", "jsonl", "parquet"),
        default="table",
        help="output format (default: table). json is written once at the end; csv and "
        "jsonl stream row by row; parquet (--engine ray only) is a folder of Parquet files",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write results to FILE instead of stdout (atomically: temp file, then rename; "
        "a pipe or device such as /dev/stdout is written directly)",
    )
    parser.add_argument(
        "-k",
        "--top-k",
        type=positive_int,
        default=1,
        metavar="K",
        help="how many best labels to report per image (default: 1)",
    )
    parser.add_argument(
        "-t",
        "--threshold",
        type=probability,
        default=0.0,
        metavar="P",
        help="label an image `unknown` when its best probability is below P (default: 0)",
    )
    parser.add_argument(
        "-b",
        "--batch-size",
        type=positive_int,
        default=2,
        metavar="N",
        help="images per inference batch (default: 2; small batches keep a small model's "
        "activations in cache, larger ones help on many cores)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        help="onnxruntime compute threads (default: one per CPU core)",
    )
    parser.add_argument(
        "--decode-threads",
        type=positive_int,
        metavar="N",
        help="threads that open and resize images while the model runs "
        "(default: CPU cores, at most 4)",
    )
    parser.add_argument(
        "--exact-decode",
        action="store_true",
        help="decode every pixel and resize exactly as the Hugging Face image processor does "
        "(slower on big photos); by default only the pixels the model needs are decoded",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: only when stderr is a terminal)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing on stderr but fatal errors: no progress, per-file lines, summary "
        "or library warnings (Pillow's go into the file's message)",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process (default); ray: a Ray cluster's actors, one model each "
        "(needs `pip install 'edgeclass[scale]'`; see docs/scale.md)",
    )
    parser.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="with --engine ray: the cluster to join (`auto`: the one `ray start` runs here; "
        "default: a local Ray started for this run)",
    )
    parser.add_argument(
        "--actors",
        type=positive_int,
        metavar="N",
        help="with --engine ray: model actors, --threads CPUs each (default: as many as the "
        "cluster's CPUs hold; more than fit start as the cluster grows)",
    )
    parser.add_argument(
        "--stall-timeout",
        type=positive_int,
        default=300,
        metavar="S",
        help="with --engine ray: stop (exit 2) when the cluster classifies nothing for S "
        "seconds (default: 300)",
    )
    parser.set_defaults(func=run)


def discover_or_fail(args: argparse.Namespace) -> Discovery:
    """The files and folders named on the command line, or a DataError when there is no image."""
    from edgeclass.runtime.discovery import discover

    found = discover(args.paths, recursive=args.recursive)
    if not found.items:
        skipped = 0 if args.recursive else found.skipped_subfolders
        raise DataError(no_images_message(args.paths, skipped))
    return found


def no_images_message(paths: list[str], skipped_subfolders: int) -> str:
    from edgeclass.runtime.names import terminal_text

    message = f"no image files found in {terminal_text(', '.join(paths))}"
    if skipped_subfolders:
        folders = "sub-folder" if skipped_subfolders == 1 else "sub-folders"
        message += f" ({skipped_subfolders} {folders} not looked into: add --recursive)"
    return message


def run(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        # By name, so that no static import chain leads from here to Ray (import contracts),
        # nor PyInstaller's analysis into it.
        try:
            engine = importlib.import_module("edgeclass.cli.classify_ray")
        except ModuleNotFoundError as error:
            if not (error.name or "").startswith("edgeclass"):
                raise
            raise EdgeclassError(  # a bundle: the runtime only
                "this build has no --engine ray; install edgeclass with pip: "
                "pip install 'edgeclass[scale]'"
            ) from None
        return int(engine.run(args))
    from edgeclass.cli.native_output import (
        native_lines_shown_tidily,
        restore_stderr,
        route_onnxruntime_log,
    )
    from edgeclass.cli.signals import (
        call_before_stopping,
        ctrl_c_deferred,
        stop_promptly_on_signals,
    )

    call_before_stopping(restore_stderr)
    stop_promptly_on_signals()
    with ctrl_c_deferred(), native_lines_shown_tidily(quiet=args.quiet):
        from edgeclass.cli.output import check_output
        from edgeclass.runtime import Classifier, resolve_model_dir
        from edgeclass.runtime.discovery import results_in_order
    route_onnxruntime_log(quiet=args.quiet)

    if args.format == "parquet":
        raise EdgeclassError("--format parquet is written by Ray's writer: add --engine ray")
    check_output(args.output)
    found = discover_or_fail(args)
    classifier = Classifier(
        resolve_model_dir(args.model),
        threads=args.threads,
        decode_threads=args.decode_threads,
        exact_decode=args.exact_decode,
    )
    results = results_in_order(
        classifier,
        found.items,
        batch_size=args.batch_size,
        top_k=args.top_k,
        threshold=args.threshold,
    )
    return write_results(results, len(found.items), args)


def failure_line(result: ClassificationResult) -> str:
    """The stderr line for a file that could not be classified (control characters escaped)."""
    from edgeclass.runtime.names import terminal_text

    return (
        f"edgeclass: {terminal_text(result.path)}: {result.status.value}: "
        f"{terminal_text(result.message)}"
    )


def write_results(
    results: Iterable[ClassificationResult],
    total: int,
    args: argparse.Namespace,
    *,
    stdout: TextIO | None = None,
    started: float | None = None,
) -> int:
    """Write results as they come (progress, a line per failed file, a summary); the exit code.

    `stdout`: where results meant for stdout go instead (the Ray engine keeps the real stdout
    for results and points everything else at stderr); `started`: the run's start
    (time.perf_counter()) for the summary's time, when it began before the results came.
    """
    from edgeclass.atomic_files import atomic_output
    from edgeclass.cli.progress import Progress
    from edgeclass.cli.signals import call_before_stopping
    from edgeclass.runtime.writers import make_writer

    progress = Progress(total, sys.stderr, enabled=shows_progress(args, sys.stderr))
    call_before_stopping(progress.clear)
    if started is not None:
        progress.started = started
    to_stdout = args.output is None or args.output == "-"
    output = (
        contextlib.nullcontext(stdout)
        if stdout is not None and to_stdout
        else atomic_output(args.output)
    )
    try:
        with output as stream:
            writer = make_writer(args.format, stream, top_k=args.top_k)
            for result in results:
                writer.write(result)
                progress.update(result)
                if not result.ok and not args.quiet:
                    progress.note(failure_line(result))
            writer.finish()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), (stdout or sys.stdout).fileno())
        return exit_codes.OK
    except OSError as error:  # disk full, output folder removed meanwhile, ...
        raise EdgeclassError(f"cannot write results: {error}") from error
    finally:
        progress.clear()
    if not args.quiet:
        print(progress.summary(), file=sys.stderr)
    return exit_codes.SOME_FILES_FAILED if progress.failed else exit_codes.OK
