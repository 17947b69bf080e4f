"""What the sub-commands' parsers share: the value types (one wording for every bad number),
the sub-command itself and the options several of them take, worded once.

Standard library only, so a sub-command can use them without importing what another one needs.
"""

from __future__ import annotations

import argparse
from typing import TextIO

MODEL_HELP = "model folder; default: $EDGECLASS_MODEL, else the bundled model"


def add_command(
    subparsers: argparse._SubParsersAction, name: str, *, help: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """A sub-command whose --help keeps the line breaks of its description and examples."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """-m/--model: the runtime model folder (None: runtime.locate's default)."""
    parser.add_argument("-m", "--model", metavar="DIR", help=MODEL_HELP)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0..65535, got {value}")
    return value


def shows_progress(args: argparse.Namespace, stream: TextIO) -> bool:
    """--progress/--no-progress as given, else only when `stream` is a terminal; never with -q."""
    if args.quiet:
        return False
    return bool(args.progress) if args.progress is not None else stream.isatty()


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--threads, --progress/--no-progress and -q, worded the same for every batch command."""
    parser.add_argument("--threads", type=positive_int, metavar="N", help="onnxruntime threads")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: only when stderr is a terminal)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="nothing on stderr but errors")
