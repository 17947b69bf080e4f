"""From logits to probabilities and labelled results."""

from __future__ import annotations

import numpy as np

from edgeclass.runtime.results import UNKNOWN_LABEL, ClassificationResult, Status


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    probabilities: np.ndarray = exp / exp.sum(axis=-1, keepdims=True)
    return probabilities


def make_result(
    path: str,
    probabilities: np.ndarray,
    labels: tuple[str, ...],
    *,
    top_k: int,
    threshold: float,
    size: tuple[int, int] | None = None,
    message: str = "",
) -> ClassificationResult:
    """An OK result: the best `top_k` labels, and UNKNOWN_LABEL when the best is under threshold."""
    k = max(1, min(top_k, len(labels)))
    # Stable sort: ties keep label order, so results are reproducible.
    order = np.argsort(-probabilities, kind="stable")[:k]
    ranked = tuple((labels[i], float(probabilities[i])) for i in order)
    best_label, best_score = ranked[0]
    return ClassificationResult(
        path=path,
        status=Status.OK,
        label=best_label if best_score >= threshold else UNKNOWN_LABEL,
        score=best_score,
        top_k=ranked,
        message=message,
        width=size[0] if size else None,
        height=size[1] if size else None,
    )
