"""training_summary.json through `TrainingSummary`: what the trainer writes reads back equal;
summaries written before the schema key, partial ones and newer schemas are handled."""

from __future__ import annotations

import json

import pytest

from edgeclass.training_summary import (
    SCHEMA_VERSION,
    SummaryError,
    TrainingSummary,
    read_summary,
)

# The layout edgeclass wrote before the `schema` key (trimmed from a real stage-8 summary).
WRITTEN_BEFORE_SCHEMA = {
    "edgeclass_version": "0.1.0",
    "created": "2026-12-03T09:14:02+00:00",
    "labels": ["cat", "dog"],
    "model": {
        "source": "recipes/default-model-fp32",
        "pretrained": True,
        "architecture": "MobileViTForImageClassification",
        "parameters": 951634,
        "input_size": [176, 176],
        "train_input_size": [160, 160],
    },
    "data": {
        "source": "/data/catsdogs",
        "labels": ["cat", "dog"],
        "train": 9000,
        "val": 1000,
        "test": 1000,
        "skipped_unreadable": 0,
        "cached": True,
    },
    "evaluated_on": "test",
    "test_metrics": {"accuracy": 0.868, "f1_per_class": {"cat": 0.87, "dog": 0.866}},
    "worst_slice": {"slice": "short side < 200", "accuracy": 0.8, "images": 40},
    "training": {
        "epochs_planned": 60,
        "epochs_run": 13,
        "stopped_by_time_budget": True,
        "history": [{"epoch": 1, "val_loss": 0.43}],
        "best_val_metric": {"loss": 0.41},
    },
    "hardware": {"device": "cpu", "precision": "no", "channels_last": False, "description": "CPU"},
    "seed": 42,
    "config": {"data": "../shared/data/catsdogs", "epochs": 60, "teacher": "runs/teacher"},
    "mlflow": {"run_id": "abc123", "tracking_uri": "sqlite:////runs/mlflow.db", "experiment": "e"},
    "distillation": {
        "teacher": "runs/teacher",
        "teacher_label_map": None,
        "alpha": 0.7,
        "temperature": 2.0,
        "teacher_val_accuracy": 0.963,
    },
    "a_key_from_the_future": 1,
}


def test_a_summary_written_before_the_schema_key_reads_and_writes_back_the_same():
    summary = TrainingSummary.from_dict(WRITTEN_BEFORE_SCHEMA)
    assert summary.schema == SCHEMA_VERSION
    assert summary.labels == ("cat", "dog")
    assert summary.model.input_size == (176, 176)
    assert summary.metrics["accuracy"] == 0.868  # from `test_metrics`, as evaluated_on says
    assert summary.training.epochs_run == 13 and summary.training.history[0]["val_loss"] == 0.43
    assert summary.distillation is not None and summary.distillation.alpha == 0.7
    assert summary.mlflow.run_id == "abc123"
    written = summary.to_dict()
    assert written["test_metrics"] == WRITTEN_BEFORE_SCHEMA["test_metrics"]
    assert TrainingSummary.from_dict(json.loads(json.dumps(written))) == summary
    assert list(written)[:4] == ["schema", "edgeclass_version", "created", "labels"]
    assert "a_key_from_the_future" not in written


def test_partial_and_legacy_summaries_read_with_defaults():
    only_mlflow = TrainingSummary.from_dict({"mlflow": {"run_id": "r", "tracking_uri": "u"}})
    assert only_mlflow.mlflow.run_id == "r" and only_mlflow.config == {}
    assert only_mlflow.distillation is None
    flat = TrainingSummary.from_dict({"run_id": "r", "tracking_uri": "u"})
    assert (flat.mlflow.run_id, flat.mlflow.tracking_uri) == ("r", "u")
    assert "distillation" not in only_mlflow.to_dict()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "JSON object"),
        ({"schema": SCHEMA_VERSION + 1}, "newer than this edgeclass reads"),
        ({"training": ["not", "a", "section"]}, "not a training summary"),
        ({"model": {"parameters": 1, "no_such": 2, "source": None}, "data": {"train": "x"}}, None),
    ],
)
def test_what_is_not_a_summary_is_refused(data, message):
    if message is None:  # unknown keys are ignored; values are not type-checked beyond shape
        TrainingSummary.from_dict(data)
        return
    with pytest.raises(SummaryError, match=message):
        TrainingSummary.from_dict(data)


def test_read_summary_names_the_file(tmp_path):
    with pytest.raises(SummaryError, match=r"has no training_summary\.json"):
        read_summary(tmp_path)
    (tmp_path / "training_summary.json").write_text("{not json")
    with pytest.raises(SummaryError, match="not readable JSON"):
        read_summary(tmp_path)
    (tmp_path / "training_summary.json").write_text(json.dumps(WRITTEN_BEFORE_SCHEMA))
    assert read_summary(tmp_path).seed == 42


def test_the_model_card_reads_the_summary_through_it(tmp_path):
    from edgeclass.quantize.card import _training_lines
    from edgeclass.quantize.tracking import mlflow_target

    (tmp_path / "training_summary.json").write_text(json.dumps(WRITTEN_BEFORE_SCHEMA))
    assert _training_lines(tmp_path) == [
        "- data: `data/catsdogs`",  # a folder by its last two parts: the card ships
        "- epochs: `60`",
        "- MLflow run `abc123`",
    ]
    assert mlflow_target(tmp_path) == ("abc123", "sqlite:////runs/mlflow.db")
    (tmp_path / "training_summary.json").write_text(json.dumps({"schema": 99}))
    assert _training_lines(tmp_path)[0].startswith("- No training_summary.json")
    assert mlflow_target(tmp_path) is None
