"""Run an ONNX model over preprocessed tensors through the runtime's session, and score it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from edgeclass.quantize.report import ClassScore, Scores


def logits_of(onnx_path: str | Path, tensors: np.ndarray, batch_size: int = 16) -> np.ndarray:
    from edgeclass.runtime import create_session

    session = create_session(onnx_path)
    name = session.get_inputs()[0].name
    outputs = [
        session.run(None, {name: tensors[start : start + batch_size]})[0]
        for start in range(0, len(tensors), batch_size)
    ]
    return np.concatenate(outputs).astype(np.float32)


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
