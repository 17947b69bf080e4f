"""The accuracy gate: ship int8 only when it loses at most --max-drop points on held-out data.

When the all-int8 model loses too much, or agrees with fp32 on fewer than --min-agreement of
the held-out images, parts of the network go back to float and the model is re-quantized
(re-using the calibration ranges) and re-evaluated. Two kinds of float sets are tried, 1, 2,
4, ... layers at a time up to `max_float_layers`, the smaller first:

- "sensitive k": the k layers that add the most noise (sensitivity.py), each with its bias and
  activation. This repairs a single broken layer, such as a classifier int8 cannot represent.
- "front k": the network from its input to the k-th layer with int8 weights. On the default
  cats-vs-dogs model (trained from scratch) the damage was spread over the early,
  high-resolution MobileNet blocks, whose activations have channels of very different ranges
  that one int8 scale per tensor cannot serve; no single layer in float helped, the front did
  (docs/notes/quantize-experiments.md, "Where int8 loses accuracy").

The first attempt that meets both the drop and the agreement target is kept; when none reaches
the agreement target, the most faithful attempt within the drop is kept. Agreement uses no
labels, so the extra float layers it asks for are not chosen on the labels the report scores.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgeclass.errors import EdgeclassError
from edgeclass.quantize.evaluate import accuracy_drop_points, score
from edgeclass.quantize.graph import GraphIndex
from edgeclass.quantize.report import GateAttempt, GateInfo, Scores
from edgeclass.runtime.session import logits_of

log = logging.getLogger(__name__)


class GateFailed(EdgeclassError):
    """The int8 model lost more accuracy than allowed, even with parts of it in float."""

    def __init__(self, message: str, attempts: list[GateAttempt]) -> None:
        super().__init__(message)
        self.attempts = attempts


@dataclass(frozen=True)
class FloatChoice:
    """One set of nodes to keep in float, and why each is in it (for the report)."""

    label: str  # "all int8", "sensitive 4", "front 8"
    layers: int  # how many layers with weights it keeps in float
    why: dict[str, str]  # node name -> reason


ALL_INT8 = FloatChoice("all int8", 0, {})


@dataclass
class GateResult:
    int8_path: Path
    int8_logits: np.ndarray
    int8_scores: Scores
    drop_points: float
    agreement: float
    choice: FloatChoice = ALL_INT8
    sensitivity: list[tuple[str, float]] = field(default_factory=list)
    attempts: list[GateAttempt] = field(default_factory=list)

    @property
    def float_nodes(self) -> list[str]:
        """Nodes the gate kept in float."""
        return list(self.choice.why)

    def info(self, max_drop: float, min_agreement: float) -> GateInfo:
        """The report's `gate` block."""
        return GateInfo(
            max_drop_points=max_drop,
            verdict="passed",
            min_agreement=min_agreement,
            kept=self.choice.label,
            attempts=tuple(self.attempts),
            sensitivity_noise_added=tuple(self.sensitivity),
        )


def exclusion_steps(max_float_layers: int) -> list[int]:
    """1, 2, 4, ... capped at max_float_layers (which is always tried last)."""
    steps, k = [], 1
    while k < max_float_layers:
        steps.append(k)
        k *= 2
    if max_float_layers > 0:
        steps.append(max_float_layers)
    return steps


def run_gate(
    *,
    quantize: Callable[[list[str], Path], Path],
    propose: Callable[[Path], tuple[list[FloatChoice], list[tuple[str, float]]]],
    eval_tensors: np.ndarray,
    targets: Sequence[int],
    labels: Sequence[str],
    fp32_logits: np.ndarray,
    fp32_scores: Scores,
    max_drop: float,
    min_agreement: float,
    workdir: Path,
    progress: Callable[[str], None] = log.info,
) -> GateResult:
    """quantize(float_nodes, out_path) -> int8 path; propose(all-int8 path) -> (float choices in
    the order to try, sensitivity ranking)."""
    attempts: list[GateAttempt] = []
    fp32_predictions = fp32_logits.argmax(axis=1)

    def attempt(choice: FloatChoice) -> GateResult:
        path = quantize(list(choice.why), workdir / f"int8-{len(attempts)}.onnx")
        logits = logits_of(path, eval_tensors)
        scores = score(logits, targets, labels)
        drop = accuracy_drop_points(fp32_scores, scores)
        agreement = float((logits.argmax(axis=1) == fp32_predictions).mean())
        attempts.append(
            GateAttempt(
                label=choice.label,
                float_layers=choice.layers,
                float_nodes=tuple(choice.why),
                int8_accuracy=scores.accuracy,
                drop_points=drop,
                agreement=agreement,
            )
        )
        progress(f"int8, {choice.label}: drop {drop:.2f} points, agreement {agreement:.1%}")
        return GateResult(path, logits, scores, drop, agreement, choice)

    def done(result: GateResult) -> bool:
        return result.drop_points <= max_drop and result.agreement >= min_agreement

    first = attempt(ALL_INT8)
    if done(first):
        first.attempts = attempts
        return first
    passing = [first] if first.drop_points <= max_drop else []
    choices, ranking = propose(first.int8_path)
    result = first
    for choice in choices:
        result = attempt(choice)
        if result.drop_points <= max_drop:
            passing.append(result)
        if done(result):
            break
    if passing:
        best = result if done(result) else max(passing, key=lambda r: r.agreement)
        best.sensitivity, best.attempts = ranking, attempts
        return best
    tried = ", ".join(f"{a.label}: {a.drop_points:.2f}" for a in attempts)
    raise GateFailed(
        f"int8 accuracy drop {result.drop_points:.2f} points exceeds --max-drop {max_drop} "
        f"even with up to {max((a.float_layers for a in attempts), default=0)} layer(s) kept "
        f"in float (fp32 {fp32_scores.accuracy:.2%}, int8 {result.int8_scores.accuracy:.2%}; "
        f"drop by attempt: {tried}); raise --max-drop, allow more float layers with "
        "--max-float-nodes, try another --calibration-method, or calibrate on more "
        "representative images",
        attempts,
    )


def float_choices(
    graph: GraphIndex,
    candidates: Sequence[str],
    ranking: Sequence[tuple[str, float]],
    max_layers: int,
    already_float: Sequence[str],
) -> list[FloatChoice]:
    """The float sets the gate tries after all-int8, in order: for k = 1, 2, 4, ...: the k most
    sensitive layers (each with its bias and activation), then the front of the network up to
    its k-th layer with weights. Sets equal to one tried before are skipped."""
    regions = graph.float_regions(candidates)
    noise = dict(ranking)
    choices: list[FloatChoice] = []
    seen: set[frozenset[str]] = set()

    def add(choice: FloatChoice) -> None:
        key = frozenset(choice.why)
        if key and key not in seen:
            seen.add(key)
            choices.append(choice)

    for k in exclusion_steps(min(max_layers, len(candidates))):
        why: dict[str, str] = {}
        for layer, _ in ranking[:k]:
            why[layer] = (
                f"accuracy gate: in int8 it adds noise at {noise[layer]:.1%} of the signal's power"
            )
            for node in (n for n in regions[layer][1:] if n not in already_float):
                why.setdefault(node, f"accuracy gate: bias or activation of {layer}")
        add(FloatChoice(f"sensitive {k}", k, why))
        front = f"accuracy gate: front of the network, from the input to weighted layer {k}"
        nodes = graph.front_nodes(candidates, k)
        add(FloatChoice(f"front {k}", k, {n: front for n in nodes if n not in already_float}))
    return choices
