"""recipes/recover_weights_from_onnx.py: a trainable PyTorch model back from an int8 model."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _recover_module():
    path = REPO_ROOT / "recipes" / "recover_weights_from_onnx.py"
    spec = importlib.util.spec_from_file_location("recover_weights_from_onnx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def recovered(tmp_path_factory, quantized, shapes_data) -> Path:
    out = tmp_path_factory.mktemp("recovered") / "model"
    argv = [str(quantized.out_dir), str(out), "--stats", str(shapes_data["train"])]
    argv += ["--check", str(shapes_data["eval"])]
    assert _recover_module().main(argv) == 0
    return out


def _torch_logits(model_dir: Path, tensors: np.ndarray, *, train_mode_batchnorm=False):
    import torch
    from transformers import MobileViTForImageClassification

    model = MobileViTForImageClassification.from_pretrained(model_dir).eval()
    if train_mode_batchnorm:  # batch statistics, as in training; dropout stays off
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.train()
    with torch.no_grad():
        return model(pixel_values=torch.from_numpy(tensors)).logits.numpy()


def test_recovered_model_reproduces_the_trained_fp32_model(
    recovered, trained_model_dir, quantized, eval_tensors
):
    tensors = eval_tensors[0]
    original = _torch_logits(trained_model_dir, tensors)
    restored = _torch_logits(recovered, tensors)
    int8_session = ort.InferenceSession(str(quantized.out_dir / "model.onnx"))
    int8 = int8_session.run(None, {"pixel_values": tensors})[0]
    # Only the weights' int8 rounding is left: closer to fp32 than the int8 model is (which also
    # rounds every activation). How much closer depends on the CPU's int8 kernels: 0.59x on an
    # AMD EPYC (AVX-512 VNNI), under 0.5x on the Intel Xeon (AMX) of earlier sessions. A wrong
    # recovery (the attention scale left folded in) is 8x further off than int8.
    restored_error = np.abs(restored - original).mean()
    int8_error = np.abs(int8 - original).mean()
    assert restored_error < int8_error, (restored_error, int8_error)
    assert np.mean(restored.argmax(1) == original.argmax(1)) >= 0.95


def test_batchnorm_statistics_are_those_of_real_inputs(recovered, eval_tensors):
    """Un-folded BatchNorms: batch statistics give what the running ones give, so training
    starts from the same function instead of a shifted one."""
    tensors = eval_tensors[0]
    eval_mode = _torch_logits(recovered, tensors)
    batch_stats = _torch_logits(recovered, tensors, train_mode_batchnorm=True)
    scale = np.abs(eval_mode).mean()
    assert np.abs(batch_stats - eval_mode).mean() < 0.2 * scale


def test_recovered_folder_is_a_trainer_model_folder(recovered):
    from transformers import AutoImageProcessor

    config = json.loads((recovered / "config.json").read_text())
    assert config["id2label"] and (recovered / "model.safetensors").is_file()
    AutoImageProcessor.from_pretrained(recovered)
    report = json.loads((recovered / "recovered_from_onnx.json").read_text())
    assert report["batchnorms"] > 0 and 0.9 <= report["agreement"] <= 1.0


def test_a_graph_without_the_weights_is_refused(tmp_path, quantized):
    import onnx
    from transformers import MobileViTConfig, MobileViTForImageClassification

    recover = _recover_module()
    model = onnx.load(str(quantized.out_dir / "model.onnx"))
    graph = model.graph
    gemm = next(node for node in graph.node if node.op_type == "Gemm")
    graph.node.remove(gemm)
    config = MobileViTConfig.from_json_file(quantized.out_dir / "config.json")
    with pytest.raises(ValueError, match=r"classifier\.weight"):
        recover.load_weights(MobileViTForImageClassification(config), graph)
