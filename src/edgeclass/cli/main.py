"""Entry point of the `edgeclass` command: builds the parser and dispatches to sub-commands."""

from __future__ import annotations

import argparse
import importlib
import sys

from edgeclass import __version__
from edgeclass.cli import exit_codes
from edgeclass.cli.extras import missing_extra_message
from edgeclass.errors import DataError, EdgeclassError, ModelError

# Module names under edgeclass.cli; each defines register(subparsers) and a run(args) -> int.
SUBCOMMANDS = ("classify", "sort", "evaluate", "explain", "serve", "train", "quantize", "report")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgeclass",
        description="Fast, private, offline image classification: classify folders of photos "
        "with a small ONNX model, or train and quantize your own.",
    )
    parser.add_argument("--version", action="version", version=f"edgeclass {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"edgeclass.cli.{name}")
        except ModuleNotFoundError as error:
            # A frozen bundle ships only the runtime; its missing sub-commands simply vanish.
            if error.name and error.name.startswith("edgeclass.cli"):
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)  # inside: a Ctrl+C while it imports is quiet too
        missing = missing_extra_message(args.command)
        if missing:
            print(f"edgeclass: {missing}", file=sys.stderr)
            return exit_codes.USAGE
        status: int = args.func(args)
        return status
    except KeyboardInterrupt:
        print("edgeclass: interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED
    except ModelError as error:
        print(f"edgeclass: model error: {error}", file=sys.stderr)
        return exit_codes.MODEL_ERROR
    except DataError as error:
        print(f"edgeclass: data error: {error}", file=sys.stderr)
        return exit_codes.DATA_ERROR
    except EdgeclassError as error:
        print(f"edgeclass: {error}", file=sys.stderr)
        return exit_codes.USAGE


if __name__ == "__main__":
    raise SystemExit(main())
