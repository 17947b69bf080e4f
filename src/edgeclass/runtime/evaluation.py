"""Score a model on photos whose true label is known: `root/<label>/*.jpg`.

The folder rules and the decoding are those of `edgeclass quantize --eval` (every sub-folder must
be one of the model's labels, the images directly inside each; every pixel decoded and resized
exactly as the Hugging Face processor does), so on the same folder the accuracy here is the
int8 accuracy of the model's quantization report. The prediction is the best label: no
threshold, as in the report. Files that cannot be read are listed and left out of the numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgeclass.errors import Cancelled
from edgeclass.runtime.classifier import Classifier
from edgeclass.runtime.labelled_folder import scan_labelled_folder
from edgeclass.runtime.progress import ProgressCallback, no_progress
from edgeclass.runtime.results import Status


@dataclass(frozen=True)
class Prediction:
    path: str
    truth: str
    status: Status
    label: str | None = None  # the best label (no threshold); None when the file failed
    score: float | None = None
    message: str = ""

    @property
    def correct(self) -> bool:
        return self.status is Status.OK and self.label == self.truth

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "truth": self.truth,
            "predicted": self.label,
            "score": self.score,
            "correct": self.correct,
            "status": self.status.value,
            "message": self.message,
        }


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int], classes: int) -> np.ndarray:
    """counts[t, p]: images of true class t predicted as p."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(truth, dtype=np.int64), np.asarray(predicted, np.int64)), 1)
    return counts


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Evaluation:
    root: str
    labels: tuple[str, ...]
    predictions: tuple[Prediction, ...]  # every file, in scan order

    @property
    def scored(self) -> tuple[Prediction, ...]:
        return tuple(p for p in self.predictions if p.status is Status.OK)

    @property
    def failures(self) -> tuple[Prediction, ...]:
        return tuple(p for p in self.predictions if p.status is not Status.OK)

    @property
    def mistakes(self) -> tuple[Prediction, ...]:
        """Wrong answers, the most confident first (those are the ones to look at)."""
        wrong = [p for p in self.scored if not p.correct]
        return tuple(sorted(wrong, key=lambda p: -(p.score or 0.0)))

    @property
    def confusion(self) -> np.ndarray:
        index = {label: i for i, label in enumerate(self.labels)}
        scored = self.scored
        return confusion_matrix(
            [index[p.truth] for p in scored],
            [index[str(p.label)] for p in scored],  # scored: every label is set
            len(self.labels),
        )

    @property
    def accuracy(self) -> float | None:
        scored = self.scored
        return _ratio(sum(p.correct for p in scored), len(scored))

    def per_class(self) -> dict[str, dict[str, float | int | None]]:
        """images, correct, predicted (as this label), recall, precision, per label."""
        counts = self.confusion
        table: dict[str, dict[str, float | int | None]] = {}
        for i, label in enumerate(self.labels):
            images, predicted, correct = (
                int(counts[i].sum()),
                int(counts[:, i].sum()),
                int(counts[i, i]),
            )
            table[label] = {
                "images": images,
                "correct": correct,
                "predicted": predicted,
                "recall": _ratio(correct, images),
                "precision": _ratio(correct, predicted),
            }
        return table

    def to_dict(self) -> dict[str, Any]:
        scored = self.scored
        return {
            "root": self.root,
            "labels": list(self.labels),
            "images": len(self.predictions),
            "evaluated": len(scored),
            "correct": sum(p.correct for p in scored),
            "accuracy": self.accuracy,
            "per_class": self.per_class(),
            "confusion": {
                "rows": "truth",
                "columns": "predicted",
                "matrix": self.confusion.tolist(),
            },
            "mistakes": [p.to_dict() for p in self.mistakes],
            "failures": [p.to_dict() for p in self.failures],
            "predictions": [p.to_dict() for p in self.predictions],
        }


def exact_classifier(model_dir: str | Path | None, threads: int | None = None) -> Classifier:
    """A Classifier that decodes every pixel, as the quantization report's evaluation does."""
    return Classifier(model_dir, threads, exact_decode=True)


def evaluate_folder(
    classifier: Classifier,
    root: str | Path,
    *,
    batch_size: int = 2,
    cancel: threading.Event | None = None,
    on_progress: ProgressCallback = no_progress,
) -> Evaluation:
    """Classify every labelled photo under `root`; raises Cancelled when `cancel` is set."""
    files = scan_labelled_folder(root, classifier.labels)
    predictions: list[Prediction] = []
    on_progress("evaluate", 0, len(files))
    results = classifier.classify_paths(
        [item.path for item in files], batch_size=batch_size, top_k=1, cancel=cancel
    )
    for item, result in zip(files, results, strict=False):
        predictions.append(
            Prediction(
                str(item.path),
                item.truth,
                result.status,
                result.label,
                result.score,
                result.message,
            )
        )
        on_progress("evaluate", len(predictions), len(files))
    if len(predictions) < len(files):
        raise Cancelled(f"evaluation cancelled after {len(predictions)} of {len(files)} images")
    return Evaluation(str(root), tuple(classifier.labels), tuple(predictions))
