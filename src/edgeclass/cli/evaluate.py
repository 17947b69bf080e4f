"""`edgeclass evaluate`: accuracy, per-class recall and precision, confusion and mistakes on
photos whose label is known from their folder. Stdlib only at module level."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import TYPE_CHECKING

from edgeclass.cli import exit_codes
from edgeclass.cli.arguments import add_command, add_model_option, add_run_options, shows_progress

if TYPE_CHECKING:
    from edgeclass.runtime.evaluation import Evaluation

DESCRIPTION = """\
Score a model on photos sorted by hand: DIR/<label>/ holds the photos of each label, named like
the model's labels (every sub-folder must be one). Prints accuracy, per-label recall and
precision, the confusion matrix and the mistakes (most confident first); --format json adds
every photo's truth and prediction.

Images are decoded exactly as `edgeclass quantize --eval` decodes them, so on the same folder
the accuracy equals the int8 accuracy in the model's quantization report. No threshold: the
best label is the prediction. Unreadable files are listed and left out of the numbers.
"""

EPILOG = """\
exit codes: 0 evaluated; 1 evaluated, but some files could not be read; 3 model missing or
broken; 4 not a folder of label sub-folders, or no images; 130 interrupted.

example:
  edgeclass evaluate ../shared/data/catsdogs/test --format json > evaluation.json
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "evaluate",
        help="score a model on photos in folders named like its labels",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument("folder", metavar="DIR", help="a folder with one sub-folder per label")
    add_model_option(parser)
    parser.add_argument(
        "-f", "--format", choices=("table", "json"), default="table", help="output format"
    )
    parser.add_argument(
        "--mistakes",
        type=int,
        default=20,
        metavar="N",
        help="how many mistakes the table lists (default: 20; json lists all)",
    )
    add_run_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edgeclass.cli.steps import StepProgress, interrupt_sets
    from edgeclass.errors import Cancelled
    from edgeclass.runtime import resolve_model_dir
    from edgeclass.runtime.evaluation import evaluate_folder, exact_classifier

    progress = StepProgress(sys.stderr, enabled=shows_progress(args, sys.stderr))
    classifier = exact_classifier(resolve_model_dir(args.model), threads=args.threads)
    cancel = threading.Event()
    try:
        with interrupt_sets(cancel):
            evaluation = evaluate_folder(
                classifier, args.folder, cancel=cancel, on_progress=progress
            )
    except Cancelled:
        progress.clear()
        print("edgeclass: interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED
    progress.clear()
    if not args.quiet:
        for failure in evaluation.failures:
            print(
                f"edgeclass: {failure.path}: {failure.status.value}: {failure.message}",
                file=sys.stderr,
            )
    if args.format == "json":
        print(json.dumps({"model": str(classifier.folder.path), **evaluation.to_dict()}))
    else:
        print(render_table(evaluation, args.mistakes))
    return exit_codes.SOME_FILES_FAILED if evaluation.failures else exit_codes.OK


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def render_table(evaluation: Evaluation, mistakes_shown: int) -> str:
    scored = evaluation.scored
    correct = sum(p.correct for p in scored)
    lines = [
        f"accuracy {_percent(evaluation.accuracy)} ({correct} of {len(scored)} photos right"
        + (f"; {len(evaluation.failures)} could not be read" if evaluation.failures else "")
        + ")",
        "",
    ]
    labels = evaluation.labels
    width = max([len(label) for label in labels] + [5])
    lines.append(f"{'LABEL':<{width}}  {'PHOTOS':>6}  {'RECALL':>7}  {'PRECISION':>9}")
    for label, row in evaluation.per_class().items():
        lines.append(
            f"{label:<{width}}  {row['images']:>6}  {_percent(row['recall']):>7}  "
            f"{_percent(row['precision']):>9}"
        )
    lines += ["", "confusion (rows: truth, columns: predicted)"]
    cell = max([len(label) for label in labels] + [len(str(len(scored))), 4])
    lines.append(" " * width + "".join(f"  {label:>{cell}}" for label in labels))
    for label, row in zip(labels, evaluation.confusion.tolist(), strict=True):
        lines.append(f"{label:<{width}}" + "".join(f"  {count:>{cell}}" for count in row))
    mistakes = evaluation.mistakes
    if mistakes:
        shown = mistakes[:mistakes_shown] if mistakes_shown >= 0 else mistakes
        lines += ["", f"mistakes: {len(mistakes)} (most confident first, {len(shown)} shown)"]
        for p in shown:
            lines.append(f"  {p.path}  truth {p.truth}, predicted {p.label} ({p.score:.3f})")
    return "\n".join(lines)
