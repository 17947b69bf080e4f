"""Helpers for the Ray tests: a folder of every bad-file case, rows compared with tolerance."""

from __future__ import annotations

import os
from pathlib import Path

from edgeclass_test_images import photo_like, png_claiming, truncated
from PIL import Image


def bad_files(folder: Path) -> list[Path]:
    """The runtime's hard cases (see tests/cli/test_cli_mixed_folder.py), plus two good photos."""
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "good.jpg"
    Image.fromarray(photo_like(160, 120)).save(good, quality=90)
    whole = folder / "whole.jpg"
    Image.fromarray(photo_like(640, 480, seed=1)).save(whole, quality=90)
    truncated(whole, folder / "truncated.jpg", keep=0.3)
    whole.unlink()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("not a photo\n")
    png_claiming(folder, 30_000, 30_000)  # too_large, refused from the header
    Image.fromarray(photo_like(90, 70, seed=2)).save(folder / "mislabelled.png", format="JPEG")
    non_utf8 = Path(os.fsdecode(bytes(folder) + b"/caf\xe9.jpg"))
    Image.fromarray(photo_like(100, 80, seed=3)).save(non_utf8, quality=90)
    return sorted(folder.iterdir())


def assert_same_rows(got: list[dict], expected: list[dict]) -> None:
    """Rows equal field by field, scores to 1e-6 (actors batch images differently)."""
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        mine, theirs = dict(mine), dict(theirs)
        score, score_expected = mine.pop("score"), theirs.pop("score")
        top, top_expected = mine.pop("top_k"), theirs.pop("top_k")
        assert mine == theirs
        if score_expected is None:
            assert score is None
        else:
            assert abs(score - score_expected) <= 1e-6, (mine["path"], score, score_expected)
        assert [entry["label"] for entry in top] == [entry["label"] for entry in top_expected]
        for entry, entry_expected in zip(top, top_expected, strict=True):
            assert abs(entry["score"] - entry_expected["score"]) <= 1e-6
