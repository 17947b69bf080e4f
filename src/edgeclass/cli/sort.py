"""`edgeclass sort`: file photos into one folder per label (copy, move or link), and undo it.

Only stdlib at module level: the runtime is imported inside `run`, so `edgeclass --help` stays
instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgeclass.cli import exit_codes
from edgeclass.cli.arguments import (
    add_command,
    add_model_option,
    add_run_options,
    probability,
    shows_progress,
)
from edgeclass.errors import DataError, EdgeclassError

if TYPE_CHECKING:
    from edgeclass.cli.steps import StepProgress
    from edgeclass.organize import Mode, SortOutcome, SortPlan

DESCRIPTION = """\
Sort photos into DEST/<label>/ folders with an ONNX model: copies by default, or moves or
symbolic links. Photos below --threshold go to DEST/unknown/; files that cannot be classified
are listed and stay where they are. An existing name is never overwritten: the newcomer gets a
number (IMG_1.jpg -> IMG_1-1.jpg).

Everything is classified first and a preview (photos per label) is printed before any file is
touched; --dry-run stops there. Every step is written to a journal (JSON lines, on disk before
the step happens), so `edgeclass sort --undo JOURNAL` puts moved files back and removes copies
and links, even after a crash or Ctrl+C (which stops at the next file, exit 130).
"""

EPILOG = """\
exit codes: 0 done; 1 some files could not be classified or placed; 2 bad command line or
destination not writable; 3 model missing or broken; 4 no image files found; 130 interrupted
(the journal says where every file is).

examples:
  edgeclass sort photos/ --into sorted/ --dry-run
  edgeclass sort photos/ -r --into sorted/ --move --threshold 0.7
  edgeclass sort --undo sorted/.edgeclass-sort-20261203-104500.jsonl
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "sort",
        help="sort photos into one folder per label (copy, move or link), or undo a sort",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="image files and/or folders")
    parser.add_argument("--into", metavar="DEST", help="destination folder (created if missing)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument(
        "--copy", dest="mode", action="store_const", const="copy", help="copy (the default)"
    )
    how.add_argument("--move", dest="mode", action="store_const", const="move", help="move")
    how.add_argument(
        "--link",
        dest="mode",
        action="store_const",
        const="link",
        help="make symbolic links to the originals",
    )
    how.add_argument(
        "--undo",
        metavar="JOURNAL",
        help="undo the sort this journal records (moves back, removes copies and links)",
    )
    parser.add_argument(
        "-t",
        "--threshold",
        type=probability,
        default=0.0,
        metavar="P",
        help="photos whose best probability is below P go to DEST/unknown/ (default: 0)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="classify and print the preview; touch nothing"
    )
    parser.add_argument(
        "-r", "--recursive", action="store_true", help="also look inside sub-folders"
    )
    add_model_option(parser)
    parser.add_argument(
        "--journal",
        metavar="FILE",
        help="where to write the journal (default: DEST/.edgeclass-sort-<time>.jsonl)",
    )
    parser.add_argument(
        "-f",
        "--format",
        choices=("table", "json"),
        default="table",
        help="what goes to stdout: a readable preview and summary (table), or one JSON object",
    )
    add_run_options(parser)
    parser.set_defaults(func=run, mode=None)


def run(args: argparse.Namespace) -> int:
    from edgeclass.cli.steps import StepProgress

    progress = StepProgress(sys.stderr, enabled=shows_progress(args, sys.stderr))
    try:
        if args.undo is not None:
            if args.paths or args.into:
                raise EdgeclassError("--undo takes only the journal: no PATH or --into")
            return _run_undo(args, progress)
        if not args.paths or not args.into:
            raise EdgeclassError("give the photos to sort and --into DEST (or --undo JOURNAL)")
        return _run_sort(args, progress)
    finally:
        progress.clear()


def _run_sort(args: argparse.Namespace, progress: StepProgress) -> int:
    from edgeclass.cli.steps import interrupt_sets
    from edgeclass.organize import (
        Mode,
        apply_plan,
        classify_for_sort,
        default_journal_path,
        plan_sort,
        split_inputs,
    )
    from edgeclass.organize.apply import check_destination
    from edgeclass.runtime import Classifier, find_images, resolve_model_dir

    dest = Path(os.path.abspath(args.into))
    mode = Mode(args.mode or "copy")
    files, inside = split_inputs(find_images(args.paths, recursive=args.recursive), dest)
    if not files:
        hint = "" if args.recursive else " (add --recursive to look inside sub-folders)"
        raise DataError(f"no image files found in {', '.join(args.paths)}{hint}")
    if args.dry_run:
        _check_writable_without_touching(dest)
    else:
        check_destination(dest)  # before the long classification, not after it
    journal_path = Path(args.journal) if args.journal else None
    if journal_path is not None and journal_path.exists():
        raise EdgeclassError(f"--journal {journal_path} exists already; name a new file")
    classifier = Classifier(resolve_model_dir(args.model), threads=args.threads)
    cancel = threading.Event()
    with interrupt_sets(cancel):
        results = classify_for_sort(classifier, files, cancel=cancel, on_progress=progress)
        if cancel.is_set():
            progress.clear()
            _note(args, "edgeclass: interrupted while classifying; no file was touched")
            return exit_codes.INTERRUPTED
        plan = plan_sort(results, dest, threshold=args.threshold, skipped_in_dest=inside)
        progress.clear()
        _report_plan(args, plan, mode)
        if args.dry_run:
            if args.format == "json":
                print(json.dumps({"dry_run": True, "mode": mode.value, **plan.to_dict()}))
            return exit_codes.SOME_FILES_FAILED if plan.failures else exit_codes.OK
        journal_path = journal_path or default_journal_path(dest)
        outcome = apply_plan(plan, mode, journal_path, cancel=cancel, on_progress=progress)
    progress.clear()
    for planned, message in outcome.failed:
        _note(args, f"edgeclass: {planned.source}: not {mode.value}d: {message}")
    if args.format == "json":
        print(json.dumps(_outcome_dict(plan, outcome)))
    else:
        verb = {"copy": "copied", "move": "moved", "link": "linked"}[mode.value]
        print(f"{verb} {len(outcome.placed)} of {len(plan.files)} photos into {dest}")
    if outcome.cancelled:
        _note(args, f"edgeclass: interrupted after {len(outcome.placed)} photos")
    _note(args, f"edgeclass: journal {journal_path}")
    _note(args, f"edgeclass: undo with: edgeclass sort --undo {journal_path}")
    if outcome.cancelled:
        return exit_codes.INTERRUPTED
    failed = plan.failures or outcome.failed
    return exit_codes.SOME_FILES_FAILED if failed else exit_codes.OK


def _check_writable_without_touching(dest: Path) -> None:
    from edgeclass.organize import DestinationError

    existing = dest
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise DestinationError(f"destination {dest}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DestinationError(f"destination {dest} is read-only ({existing} is not writable)")


def _report_plan(args: argparse.Namespace, plan: SortPlan, mode: Mode) -> None:
    """The preview: photos per label folder, then the files that will not be sorted."""
    stream = sys.stdout if args.dry_run and args.format == "table" else sys.stderr
    if args.quiet and stream is sys.stderr:
        return
    counts = plan.counts()
    width = max([len(label) for label in counts] + [5])
    print(f"{mode.value} {len(plan.files)} photos into {plan.dest}:", file=stream)
    for label, count in counts.items():
        print(f"  {label + '/':<{width + 1}}  {count:>6}", file=stream)
    if plan.failures:
        print(f"  not sorted (could not be classified): {len(plan.failures)}", file=stream)
    if plan.skipped_in_dest:
        skipped = len(plan.skipped_in_dest)
        print(f"  left alone (already inside {plan.dest}): {skipped}", file=stream)
    for failure in plan.failures:
        _note(args, f"edgeclass: {failure.path}: {failure.status.value}: {failure.message}")


def _outcome_dict(plan: SortPlan, outcome: SortOutcome) -> dict[str, Any]:
    return {
        "dry_run": False,
        "mode": outcome.mode.value,
        "dest": str(plan.dest),
        "journal": str(outcome.journal),
        "cancelled": outcome.cancelled,
        "counts": plan.counts(),
        "placed": [
            {"source": str(planned.source), "label": planned.label, "target": str(final)}
            for planned, final in outcome.placed
        ],
        "failed": [
            {"source": str(planned.source), "error": message} for planned, message in outcome.failed
        ],
        "failures": [
            {"path": failure.path, "status": failure.status.value, "message": failure.message}
            for failure in plan.failures
        ],
    }


def _run_undo(args: argparse.Namespace, progress: StepProgress) -> int:
    from edgeclass.cli.steps import interrupt_sets
    from edgeclass.organize import undo_journal

    cancel = threading.Event()
    with interrupt_sets(cancel):
        outcome = undo_journal(args.undo, cancel=cancel, on_progress=progress)
    progress.clear()
    for entry, message in outcome.failed:
        _note(args, f"edgeclass: {entry.target}: not undone: {message}")
    what = {"move": "moved back", "copy": "copies removed", "link": "links removed"}
    if args.format == "json":
        print(
            json.dumps(
                {
                    "journal": str(outcome.journal),
                    "mode": outcome.mode,
                    "restored": len(outcome.restored),
                    "already": outcome.already,
                    "failed": [
                        {"target": entry.target, "source": entry.source, "error": message}
                        for entry, message in outcome.failed
                    ],
                    "cancelled": outcome.cancelled,
                }
            )
        )
    else:
        print(
            f"{what.get(outcome.mode, 'undone')}: {len(outcome.restored)}"
            f"{f', {outcome.already} had nothing to undo' if outcome.already else ''}"
            f"{f', {len(outcome.failed)} kept (see above)' if outcome.failed else ''}"
        )
    if outcome.cancelled:
        _note(args, "edgeclass: interrupted; run the same --undo again to finish")
        return exit_codes.INTERRUPTED
    return exit_codes.SOME_FILES_FAILED if outcome.failed else exit_codes.OK


def _note(args: argparse.Namespace, line: str) -> None:
    if not args.quiet:
        print(line, file=sys.stderr)
