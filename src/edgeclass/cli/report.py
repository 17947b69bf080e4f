"""`edgeclass report OUT_DIR`: print a quantized folder's report in the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="print the quantization report of a model folder",
        description="Print quantization_report.md of a folder written by `edgeclass quantize` "
        "(or, with --json, the raw quantization_report.json).",
    )
    parser.add_argument("folder", type=Path, metavar="OUT_DIR", help="quantized model folder")
    parser.add_argument("--json", action="store_true", help="print the JSON report instead")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edgeclass.cli import exit_codes
    from edgeclass.errors import ModelError

    json_path = args.folder / "quantization_report.json"
    md_path = args.folder / "quantization_report.md"
    if not json_path.is_file():
        raise ModelError(
            f"{args.folder} has no quantization_report.json (write one with `edgeclass quantize`)"
        )
    if args.json:
        try:
            report = json.loads(json_path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ModelError(f"{json_path} is not valid JSON: {error}") from error
        json.dump(report, sys.stdout, indent=2)
        print()
        return exit_codes.OK
    if md_path.is_file():
        print(md_path.read_text(encoding="utf-8"), end="")
        return exit_codes.OK
    from edgeclass.quantize.report import render_markdown

    print(render_markdown(json.loads(json_path.read_text(encoding="utf-8"))), end="")
    return exit_codes.OK
