"""The gate compares drops in points of accuracy: k/n fractions must not fail it by a rounding."""

from __future__ import annotations

import numpy as np

from edgeclass.quantize.evaluate import accuracy_drop_points, score


def _scores(correct: int, total: int = 1000):
    """Scores of a 2-class model that gets exactly `correct` of `total` images right."""
    targets = np.zeros(total, dtype=int)
    logits = np.zeros((total, 2), dtype=np.float32)
    logits[correct:, 1] = 1.0  # the rest predicted as class 1: wrong
    return score(logits, targets, ["cat", "dog"])


def test_a_drop_of_exactly_half_a_point_is_half_a_point():
    # 86.8% -> 86.3%: in floating point 0.868 - 0.863 is 0.00500000000000012 (stage 8's int8
    # failed the 0.5-point gate on it).
    drop = accuracy_drop_points(_scores(868), _scores(863))
    assert drop == 0.5
    assert drop <= 0.5


def test_drops_and_gains_keep_their_sign_and_size():
    assert accuracy_drop_points(_scores(851), _scores(845)) == 0.6
    assert accuracy_drop_points(_scores(845), _scores(851)) == -0.6
    assert accuracy_drop_points(_scores(500), _scores(500)) == 0.0
