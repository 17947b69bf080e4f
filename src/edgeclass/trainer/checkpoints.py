"""Checkpoints and --resume: which checkpoint to continue from, and the MLflow run it belongs to."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edgeclass.errors import EdgeclassError

RUN_STATE = "run_state.json"  # in the output folder: the MLflow run a --resume continues


def complete_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints, oldest first. Trainer writes trainer_state.json last, so a run killed
    while saving leaves a checkpoint without it, which --resume must not pick."""
    if not folder.is_dir():
        return []
    done = [
        p
        for p in folder.glob("checkpoint-*")
        if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()
    ]
    return sorted(done, key=lambda p: int(p.name.split("-")[-1]))


def resume_point(resume: bool, output: Path, print_fn: Callable[[str], None]) -> str | None:
    """The checkpoint to resume from, or None; refuses to overwrite an earlier run's."""
    existing = complete_checkpoints(output / "checkpoints")
    if existing and not resume:
        raise EdgeclassError(
            f"{output} already holds checkpoints of an earlier run: pass --resume to continue it, "
            "or choose another --output"
        )
    if resume and not existing:
        print_fn(f"--resume: no checkpoint in {output / 'checkpoints'} yet, starting afresh")
    return str(existing[-1]) if resume and existing else None


def read_run_state(output: Path) -> dict[str, Any]:
    try:
        state = json.loads((output / RUN_STATE).read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def write_run_state(output: Path, run_id: str | None, tracking_uri: str | None) -> None:
    from edgeclass.atomic_files import write_json_atomic

    write_json_atomic(output / RUN_STATE, {"run_id": run_id, "tracking_uri": tracking_uri})
