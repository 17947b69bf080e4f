"""Score a model's logits: overall and per-class accuracy, and int8's drop against fp32."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edgeclass.quantize.report import ClassScore, Scores


def score(logits: np.ndarray, targets: Sequence[int], labels: Sequence[str]) -> Scores:
    """Overall and per-class top-1 accuracy (NaN for a class with no images)."""
    predictions = logits.argmax(axis=1)
    truth = np.asarray(targets)
    per_class = {}
    for index, label in enumerate(labels):
        mask = truth == index
        count = int(mask.sum())
        correct = int((predictions[mask] == index).sum())
        accuracy = correct / count if count else float("nan")
        per_class[label] = ClassScore(images=count, correct=correct, accuracy=accuracy)
    return Scores(accuracy=float((predictions == truth).mean()), per_class=per_class)


def accuracy_drop_points(fp32: Scores, int8: Scores) -> float:
    """How many percentage points int8 lost (negative: it gained).

    Rounded to 1e-9 points: accuracies are k/n fractions, and without it 86.8% - 86.3% came out
    as 0.50000000000001, so a model exactly at --max-drop 0.5 failed the gate.
    """
    return round((fp32.accuracy - int8.accuracy) * 100.0, 9)
