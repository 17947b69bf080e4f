"""The accuracy gate: ship int8 only when it loses at most --max-drop points on held-out data.

When the first int8 model loses too much, the layers that lose the most signal (sensitivity.py)
go back to float, 1, 2, 4, ... at a time, and the model is re-quantized (re-using the calibration
ranges) and re-evaluated until it passes or `max_float_nodes` is reached.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgeclass.errors import EdgeclassError
from edgeclass.quantize.evaluate import Scores, accuracy_drop_points, logits_of, score

log = logging.getLogger(__name__)


class GateFailed(EdgeclassError):
    """The int8 model lost more accuracy than allowed, even with sensitive layers in float."""

    def __init__(self, message: str, attempts: list[dict]) -> None:
        super().__init__(message)
        self.attempts = attempts


@dataclass
class GateResult:
    int8_path: Path
    int8_logits: np.ndarray
    int8_scores: Scores
    drop_points: float
    float_nodes: list[str]  # layers the gate moved back to float
    sensitivity: list[tuple[str, float]] = field(default_factory=list)
    attempts: list[dict] = field(default_factory=list)


def exclusion_steps(max_float_nodes: int) -> list[int]:
    """1, 2, 4, ... capped at max_float_nodes (which is always tried last)."""
    steps, k = [], 1
    while k < max_float_nodes:
        steps.append(k)
        k *= 2
    if max_float_nodes > 0:
        steps.append(max_float_nodes)
    return steps


def run_gate(
    *,
    quantize: Callable[[list[str], Path], Path],
    rank_layers: Callable[[Path], list[tuple[str, float]]],
    eval_tensors: np.ndarray,
    targets: Sequence[int],
    labels: Sequence[str],
    fp32_scores: Scores,
    max_drop: float,
    max_float_nodes: int,
    workdir: Path,
) -> GateResult:
    """quantize(extra_float_nodes, out_path) -> int8 path; rank_layers(int8_path) -> ranking."""
    attempts: list[dict] = []

    def attempt(float_nodes: list[str], tag: str) -> GateResult:
        path = quantize(float_nodes, workdir / f"int8-{tag}.onnx")
        logits = logits_of(path, eval_tensors)
        scores = score(logits, targets, labels)
        drop = accuracy_drop_points(fp32_scores, scores)
        attempts.append(
            {
                "float_nodes": list(float_nodes),
                "int8_accuracy": scores.accuracy,
                "drop_points": drop,
            }
        )
        log.info("int8 with %d layer(s) in float: drop %.2f points", len(float_nodes), drop)
        return GateResult(path, logits, scores, drop, list(float_nodes))

    result = attempt([], "0")
    if result.drop_points <= max_drop:
        result.attempts = attempts
        return result
    ranking = rank_layers(result.int8_path)
    for k in exclusion_steps(min(max_float_nodes, len(ranking))):
        result = attempt([name for name, _ in ranking[:k]], str(k))
        if result.drop_points <= max_drop:
            result.sensitivity = ranking
            result.attempts = attempts
            return result
    tried = ", ".join(f"{len(a['float_nodes'])}: {a['drop_points']:.2f}" for a in attempts)
    raise GateFailed(
        f"int8 accuracy drop {result.drop_points:.2f} points exceeds --max-drop {max_drop} "
        f"even with {len(result.float_nodes)} sensitive layer(s) kept in float "
        f"(fp32 {fp32_scores.accuracy:.2%}, int8 {result.int8_scores.accuracy:.2%}; "
        f"drop by layers in float: {tried}); raise --max-drop, allow more float layers with "
        "--max-float-nodes, try another --calibration-method, or calibrate on more "
        "representative images",
        attempts,
    )
