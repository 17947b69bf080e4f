"""A tiny MobileViT really trained (a few steps) on generated shape images, and its data folders.

Session-scoped: training and the first quantization run once for the whole tests/quantize run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from quant_shapes import LABELS, STEPS, write_split


@pytest.fixture(scope="session")
def shapes_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("shapes")
    return {
        "train": write_split(base / "train", per_class=40, seed=1),
        "eval": write_split(base / "eval", per_class=20, seed=2),
    }


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory: pytest.TempPathFactory, shapes_data) -> Path:
    """tiny_config() MobileViT trained for STEPS steps: real weights that moved."""
    import torch
    from make_tiny_model import tiny_config
    from transformers import MobileViTForImageClassification, MobileViTImageProcessor

    from edgeclass.quantize.data import load_tensors, scan_labelled_folder
    from edgeclass.runtime import Preprocessor

    torch.manual_seed(0)
    processor = MobileViTImageProcessor(
        size={"shortest_edge": 72}, crop_size={"height": 64, "width": 64}
    )
    preprocessor = Preprocessor.from_config(processor.to_dict())
    images = scan_labelled_folder(shapes_data["train"], LABELS)
    tensors, images = load_tensors(images, preprocessor)
    x, y = torch.from_numpy(tensors), torch.tensor(images.targets)
    model = MobileViTForImageClassification(tiny_config())
    before = model.classifier.weight.detach().clone()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-2)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(STEPS):
        batch = torch.randint(0, len(x), (16,), generator=generator)
        loss = model(pixel_values=x[batch], labels=y[batch]).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        # Re-estimate BatchNorm statistics with the final weights (a few steps leave the running
        # averages behind the weights, and eval mode would then predict one class).
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.reset_running_stats()
                module.momentum = None
        model(pixel_values=x)
    model.eval()
    assert not torch.allclose(before, model.classifier.weight), "training did not move weights"
    out = tmp_path_factory.mktemp("trained") / "model"
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def eval_tensors(shapes_data, trained_model_dir):
    """The eval images through the runtime's preprocessing: (tensors, targets, paths)."""
    from edgeclass.quantize.data import load_tensors, scan_labelled_folder
    from edgeclass.runtime.model_config import load_preprocessor

    preprocessor = load_preprocessor(trained_model_dir / "preprocessor_config.json")
    tensors, images = load_tensors(scan_labelled_folder(shapes_data["eval"], LABELS), preprocessor)
    return tensors, np.asarray(images.targets), images.paths


@pytest.fixture(scope="session")
def mlflow_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A real MLflow store (sqlite in a temp dir) with one run, as the trainer leaves it."""
    import mlflow

    store = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{store / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri)
    # Artifacts beside the store, as the trainer keeps them (the default is ./mlruns).
    experiment = client.create_experiment(
        "edgeclass-tests", artifact_location=(store / "artifacts").as_uri()
    )
    run = client.create_run(experiment)
    client.set_terminated(run.info.run_id)
    return run.info.run_id, uri


@pytest.fixture(scope="session")
def quantized(tmp_path_factory, trained_model_dir, shapes_data, mlflow_run):
    """One full quantize run (loose gate), logged into the MLflow run of training_summary.json."""
    import json
    import shutil

    from edgeclass.quantize.pipeline import QuantizeRequest, run_quantize

    model_dir = tmp_path_factory.mktemp("with-summary") / "model"
    shutil.copytree(trained_model_dir, model_dir)
    run_id, uri = mlflow_run
    summary = {"mlflow": {"run_id": run_id, "tracking_uri": uri}}
    (model_dir / "training_summary.json").write_text(json.dumps(summary))
    request = QuantizeRequest(
        model_dir=model_dir,
        calib_dir=shapes_data["train"],
        eval_dir=shapes_data["eval"],
        out_dir=tmp_path_factory.mktemp("quantized") / "int8",
        max_drop=100.0,
        min_agreement=0.0,  # the first, all-int8 attempt: the tests below check int8 itself
        calib_size=60,
        bench_repeats=6,
    )
    return run_quantize(request, progress=lambda message: None)


@pytest.fixture(scope="session")
def fp32_onnx(tmp_path_factory, trained_model_dir) -> Path:
    from edgeclass.quantize.export import export_onnx

    return export_onnx(trained_model_dir, tmp_path_factory.mktemp("fp32") / "onnx")
