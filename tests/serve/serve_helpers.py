"""Comparing result dicts: every field equal, scores to float32 rounding."""

from __future__ import annotations

import pytest


def assert_same_result(got: dict, expected: dict) -> None:
    got, expected = dict(got), dict(expected)
    got_top = got.pop("top_k")
    expected_top = expected.pop("top_k")
    got_score, expected_score = got.pop("score"), expected.pop("score")
    assert got == expected
    assert [t["label"] for t in got_top] == [t["label"] for t in expected_top]
    assert [t["score"] for t in got_top] == pytest.approx(
        [t["score"] for t in expected_top], abs=1e-6
    )
    assert (got_score is None) == (expected_score is None)
    if got_score is not None:
        assert got_score == pytest.approx(expected_score, abs=1e-6)
