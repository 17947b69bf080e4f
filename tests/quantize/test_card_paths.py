"""The model card ships with the model: it names folders, never a path on the build machine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from edgeclass.quantize.card import render_card
from edgeclass.quantize.report import REPORT_JSON, QuantizationReport
from edgeclass.runtime.locate import bundled_model_dir

DEFAULT = bundled_model_dir()
PATH_LIKE = re.compile(r"(?<![\w.])(?:/|\.\./)[\w.-]+(?:/[\w.-]+)+")


def build_machine_paths(text: str) -> list[str]:
    """`../shared/...` and absolute paths whose top folder exists here (`/work/...`); a name
    like ONNX's `/mobilevit/...` looks absolute but names no folder."""
    found = []
    for match in PATH_LIKE.findall(text):
        top = match.split("/")[1] if match.startswith("/") else ".."
        if match.startswith("../") or Path("/", top).exists():
            found.append(match)
    return found


@pytest.mark.skipif(DEFAULT is None, reason="this checkout bundles no default model")
def test_a_card_from_a_run_with_build_paths_names_only_the_folders(tmp_path):
    report = QuantizationReport.from_dict(
        json.loads((DEFAULT / REPORT_JSON).read_text(encoding="utf-8"))
    )
    summary = {
        "config": {
            "data": "../shared/data/catsdogs/train",
            "model": str(tmp_path / "runs" / "stage6" / "model"),
            "epochs": 19,
        },
        "mlflow": {"run_id": "abc123", "tracking_uri": f"sqlite:///{tmp_path}/mlflow.db"},
    }
    (tmp_path / "training_summary.json").write_text(json.dumps(summary), encoding="utf-8")
    card = render_card(tmp_path, report)
    assert "- data: `catsdogs/train`" in card
    assert "- model: `stage6/model`" in card
    assert "MLflow run `abc123`" in card
    assert build_machine_paths(card) == []
    assert str(tmp_path) not in card


@pytest.mark.skipif(DEFAULT is None, reason="this checkout bundles no default model")
@pytest.mark.parametrize("name", ["MODEL_CARD.md", "quantization_report.md"])
def test_the_shipped_pages_hold_no_build_machine_path(name):
    assert build_machine_paths((DEFAULT / name).read_text(encoding="utf-8")) == []
