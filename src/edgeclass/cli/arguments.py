"""What the sub-commands' parsers share: the value types (one wording for every bad number),
the sub-command itself and the options several of them take, worded once.

Standard library only, so a sub-command can use them without importing what another one needs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO, TypeVar

MODEL_HELP = "model folder; default: $EDGECLASS_MODEL, else the bundled model"


def add_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    *,
    help: str,
    description: str,
    epilog: str,
) -> argparse.ArgumentParser:
    """A sub-command whose --help keeps the line breaks of its description and examples."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """-m/--model: the runtime model folder (None: runtime.locate's default)."""
    parser.add_argument("-m", "--model", metavar="DIR", help=MODEL_HELP)


Number = TypeVar("Number", int, float)


def _number(
    text: str, kind: Callable[[str], Number], what: str, valid: Callable[[Number], bool], rule: str
) -> Number:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not valid(value):  # NaN fails every comparison, so every rule
        raise argparse.ArgumentTypeError(f"{rule}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _number(text, int, "a whole number", lambda v: v >= 1, "must be at least 1")


def probability(text: str) -> float:
    return _number(text, float, "a number", lambda v: 0 <= v <= 1, "must be between 0 and 1")


def non_negative_float(text: str) -> float:
    return _number(text, float, "a number", lambda v: v >= 0, "must not be negative")


def positive_float(text: str) -> float:
    return _number(
        text, float, "a number", lambda v: 0 < v < float("inf"), "must be above 0 and finite"
    )


def port(text: str) -> int:
    return _number(text, int, "a port number", lambda v: 0 <= v <= 65535, "must be 0..65535")


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
