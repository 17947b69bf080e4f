"""Copies of the tests' trained model with weights edited to break int8 in known ways."""

from __future__ import annotations

from pathlib import Path


def edited_copy(trained_model_dir: Path, out: Path, edit) -> Path:
    """Save `trained_model_dir` with `edit(model)` applied to its weights (under no_grad) to
    `out`, processor included: a model built to break int8 in one known way."""
    import torch
    from transformers import AutoImageProcessor, MobileViTForImageClassification

    model = MobileViTForImageClassification.from_pretrained(trained_model_dir).eval()
    with torch.no_grad():
        edit(model)
    model.save_pretrained(out)
    AutoImageProcessor.from_pretrained(trained_model_dir).save_pretrained(out)
    return out
