"""`edgeclass report OUT_DIR`: print a quantized folder's report in the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="print the quantization report of a model folder",
        description="Print the quantization report of a folder written by `edgeclass quantize` "
        "as a page (what quantization_report.md holds) or, with --json, as JSON.",
    )
    parser.add_argument("folder", type=Path, metavar="OUT_DIR", help="quantized model folder")
    parser.add_argument("--json", action="store_true", help="print the JSON report instead")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edgeclass.cli import exit_codes
    from edgeclass.quantize.report import read_report
    from edgeclass.quantize.report_page import render_markdown

    # Through the typed report, so older reports print in today's form (and without the
    # absolute paths schema 1 kept); a broken one is a model error (exit 3).
    report = read_report(args.folder)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2)
        print()
    else:
        print(render_markdown(report), end="")
    return exit_codes.OK
