"""A whole `edgeclass train` run on a tiny MobileViT and real image files, read back from disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trainer_data import fast_options, make_folder

from edgeclass.trainer.config import build_config
from edgeclass.trainer.pipeline import train
from edgeclass.training_summary import read_summary


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_config_module):
    tmp = tmp_path_factory.mktemp("e2e")
    data = make_folder(tmp / "data", per_class=14)
    # One file that is not an image at all, one JPEG cut short: both must be skipped, counted.
    (data / "red_circle" / "garbage.jpg").write_bytes(b"this is not a jpeg")
    good = (data / "green_square" / "green_square_0_001.jpg").read_bytes()
    (data / "green_square" / "truncated.jpg").write_bytes(good[: len(good) // 3])
    config = build_config(None, fast_options(tmp, data, epochs=3, early_stopping_patience=0))
    result = train(config, model_config=tiny_config_module)
    return tmp, data, result


def test_model_folder_loads_with_transformers(finished_run):
    from PIL import Image
    from transformers import MobileViTForImageClassification, MobileViTImageProcessor

    _, data, result = finished_run
    folder = result.model_dir
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "training_summary.json",
    ]
    model = MobileViTForImageClassification.from_pretrained(folder)
    processor = MobileViTImageProcessor.from_pretrained(folder)
    assert model.config.id2label == {0: "blue_stripes", 1: "green_square", 2: "red_circle"}
    assert processor.crop_size == {"height": 32, "width": 32}
    image = Image.open(next((data / "blue_stripes").glob("*.png"))).convert("RGB")
    logits = model(**processor(image, return_tensors="pt")).logits
    assert tuple(logits.shape) == (1, 3)
    # Nothing half-written or temporary is left next to the model folder.
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".")] == []


def test_summary_records_data_training_and_metrics(finished_run):
    _, _, result = finished_run
    summary = read_summary(result.model_dir)
    assert summary == result.summary  # what was written is what train returned
    assert summary.labels == ("blue_stripes", "green_square", "red_circle")
    assert summary.data.skipped_unreadable == 2
    assert summary.data.train + summary.data.val + summary.data.test == 42
    training = summary.training
    assert training.epochs_run == 3 and not training.stopped_early
    assert [row["epoch"] for row in training.history] == [1, 2, 3]
    assert training.train_images_per_second > 0
    assert summary.seed == 0
    assert summary.evaluated_on == "test"
    metrics = summary.metrics
    for key in ("accuracy", "precision_macro", "recall_macro", "f1_macro", "balanced_accuracy"):
        assert 0.0 <= metrics[key] <= 1.0
    assert set(metrics["f1_per_class"]) == {"blue_stripes", "green_square", "red_circle"}
    assert "roc_auc" not in metrics  # three classes
    assert summary.mlflow.run_id == result.run_id
    assert summary.mlflow.tracking_uri.startswith("sqlite:////")


def test_reports_and_plots_are_written(finished_run):
    from PIL import Image

    tmp, _, _ = finished_run
    reports = tmp / "run" / "reports"
    for name in ("confusion_matrix.png", "training_curves.png"):
        with Image.open(reports / name) as image:
            assert image.format == "PNG" and image.width > 200
    slices = json.loads((reports / "slices.json").read_text())
    assert any(row["slice"].startswith("brightness") for row in slices["slices"])
    assert any(row["slice"].startswith("size") for row in slices["slices"])
    assert (tmp / "run" / "train_config.yaml").is_file()


def test_mlflow_run_has_params_metrics_and_artifacts(finished_run):
    from mlflow.tracking import MlflowClient

    tmp, _, result = finished_run
    client = MlflowClient(tracking_uri=result.tracking_uri)
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    # Artifacts sit next to the SQLite store, not in whatever folder the test runs from.
    assert run.info.artifact_uri.startswith((tmp / "mlruns").as_uri())
    params = run.data.params
    assert params["epochs"] == "3"
    assert params["learning_rate"] == "0.003"
    assert params["labels"] == "blue_stripes,green_square,red_circle"
    history = client.get_metric_history(result.run_id, "val_accuracy")
    assert sorted(m.step for m in history) == [1, 2, 3]
    assert "test_accuracy" in run.data.metrics
    assert "test_f1_red_circle" in run.data.metrics
    names = {a.path for a in client.list_artifacts(result.run_id)}
    assert {"plots", "model", "config", "reports"} <= names
    model_files = {Path(a.path).name for a in client.list_artifacts(result.run_id, "model")}
    assert {"config.json", "model.safetensors", "training_summary.json"} <= model_files
    plots = {Path(a.path).name for a in client.list_artifacts(result.run_id, "plots")}
    assert "confusion_matrix.png" in plots


def test_training_reduces_the_loss(finished_run):
    _, _, result = finished_run
    history = result.summary.training.history
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_existing_checkpoints_need_resume(finished_run, tiny_config_module):
    from edgeclass.errors import EdgeclassError

    tmp, data, _ = finished_run
    config = build_config(None, fast_options(tmp, data))
    with pytest.raises(EdgeclassError, match="--resume"):
        train(config, model_config=tiny_config_module)
