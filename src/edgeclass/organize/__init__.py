"""Sort photos into one folder per label, journalled so that a move can always be undone.

Built on the runtime only (onnxruntime, numpy, Pillow and the standard library), so the CLI,
the desktop app and the bundle share it. The steps, each usable on its own from a worker
thread with a `threading.Event` to cancel and an `on_progress(phase, done, total)` callback:

    results = classify_for_sort(classifier, files, cancel=event, on_progress=report)
    plan = plan_sort(results, dest, threshold=0.6)        # preview: plan.counts()
    outcome = apply_plan(plan, Mode.MOVE, journal_path, cancel=event, on_progress=report)
    undo_journal(journal_path)                            # later, or after a crash
"""

from edgeclass.organize.apply import DestinationError, Mode, SortOutcome, apply_plan
from edgeclass.organize.journal import JournalError, default_journal_path, read_journal
from edgeclass.organize.plan import (
    PlannedFile,
    SortPlan,
    classify_for_sort,
    plan_sort,
    split_inputs,
)
from edgeclass.organize.undo import UndoOutcome, undo_journal, undo_pending

__all__ = [
    "DestinationError",
    "JournalError",
    "Mode",
    "PlannedFile",
    "SortOutcome",
    "SortPlan",
    "UndoOutcome",
    "apply_plan",
    "classify_for_sort",
    "default_journal_path",
    "plan_sort",
    "read_journal",
    "split_inputs",
    "undo_journal",
    "undo_pending",
]
