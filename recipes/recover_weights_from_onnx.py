"""Recover a trainable PyTorch MobileViT folder from an edgeclass int8 (QDQ) ONNX model.

Why this exists: the bundled default model's stage-3 fp32 weights were not kept (only the int8
`model.onnx` was committed), and stage 4 had to continue from somewhere better than scratch.
Every weight in a QDQ model is still there, as int8 plus a per-channel scale, so the network can
be rebuilt in PyTorch:

- Conv weights and biases are dequantized. onnxruntime's pre-processing folded each BatchNorm into
  its convolution, so the BatchNorm is un-folded: its running statistics are measured on real
  photos (forward hooks, eval mode) and its affine parameters set so that eval-mode output is
  unchanged, `BN(y) = (y - mean) / sqrt(var + eps) * sqrt(var + eps) + mean + folded_bias`, while
  train-mode batch statistics start out equal to the running ones.
- Linear weights come from MatMul (transposed) and their bias Add; the query projection is
  divided by the attention scale that edgeclass's export folded into it.
- LayerNorm weights are float in the graph. The int8-only logit correction Add is dropped.

The weights carry int8 rounding (at most half a quantization step per channel), so the result is
a warm start for more training, not a copy of the original fp32 model; the script prints the
agreement of the recovered model with the ONNX model on `--check` photos.

    python recipes/recover_weights_from_onnx.py src/edgeclass/resources/models/default OUT \
        --stats ../shared/data/catsdogs/train --check ../shared/data/catsdogs/test
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from transformers import MobileViTConfig, MobileViTForImageClassification, MobileViTImageProcessor

from edgeclass.quantize.data import load_tensors, scan_labelled_folder
from edgeclass.runtime import ModelFolder, Preprocessor, find_images, load_image
from edgeclass.runtime.session import logits_of


def constant_dequantized(graph) -> dict[str, np.ndarray]:
    """Output name -> float array for every DequantizeLinear whose inputs are all constants."""
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    values = dict(init)
    for node in graph.node:
        if node.op_type != "DequantizeLinear" or not all(i in init for i in node.input if i):
            continue
        x = init[node.input[0]].astype(np.float64)
        scale = init[node.input[1]].astype(np.float64)
        zero = init[node.input[2]].astype(np.float64) if len(node.input) > 2 else 0.0
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        if scale.ndim == 1 and scale.size > 1:
            shape = [1] * x.ndim
            shape[axis] = -1
            scale, zero = scale.reshape(shape), np.reshape(zero, shape) if np.ndim(zero) else zero
        values[node.output[0]] = ((x - zero) * scale).astype(np.float32)
    return values


def module_path(node_name: str, suffix: str) -> str:
    """'/mobilevit/encoder/layer.2/conv_kxk/convolution/Conv' (suffix 'convolution/Conv')
    -> 'mobilevit.encoder.layer.2.conv_kxk'."""
    return node_name.strip("/").removesuffix(suffix).strip("/").replace("/", ".")


def load_weights(model: MobileViTForImageClassification, graph) -> dict[str, torch.Tensor]:
    """Copy every weight of the ONNX graph into `model`; returns the folded conv biases by path."""
    values = constant_dequantized(graph)
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def bias_add(output: str):
        """The Add after a MatMul, through the Quantize/DequantizeLinear pair when there is one."""
        for node in consumers.get(output, []):
            if node.op_type == "Add":
                return node
            if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
                found = bias_add(node.output[0])
                if found is not None:
                    return found
        return None

    modules = dict(model.named_modules())
    folded_bias: dict[str, torch.Tensor] = {}
    loaded: set[str] = set()

    def put(param: torch.nn.Parameter, array: np.ndarray, name: str) -> None:
        tensor = torch.from_numpy(np.array(array, dtype=np.float32))
        if tuple(param.shape) != tuple(tensor.shape):
            raise ValueError(f"{name}: ONNX {tuple(tensor.shape)} vs model {tuple(param.shape)}")
        with torch.no_grad():
            param.copy_(tensor)
        loaded.add(name)

    for node in graph.node:
        if node.op_type == "Conv":
            path = module_path(node.name, "convolution/Conv")
            layer = modules[path]
            put(layer.convolution.weight, values[node.input[1]], f"{path}.convolution.weight")
            if len(node.input) > 2:
                folded_bias[path] = torch.from_numpy(values[node.input[2]].copy())
        elif node.op_type == "MatMul" and node.input[1] in values:
            path = module_path(node.name, "MatMul")
            linear = modules[path]
            put(linear.weight, values[node.input[1]].T, f"{path}.weight")
            add = bias_add(node.output[0])
            bias = next(values[i] for i in add.input if i in values)
            put(linear.bias, bias, f"{path}.bias")
            if path.endswith("attention.attention.query"):
                head_size = modules[path.removesuffix(".query")].attention_head_size
                with torch.no_grad():
                    linear.weight.mul_(math.sqrt(head_size))
                    linear.bias.mul_(math.sqrt(head_size))
        elif node.op_type == "LayerNormalization":
            path = module_path(node.name, "LayerNormalization")
            norm = modules[path]
            put(norm.weight, values[node.input[1]], f"{path}.weight")
            put(norm.bias, values[node.input[2]], f"{path}.bias")
        elif node.op_type == "Gemm":
            put(model.classifier.weight, values[node.input[1]], "classifier.weight")
            put(model.classifier.bias, values[node.input[2]], "classifier.bias")

    expected = {
        name
        for name, _ in model.named_parameters()
        if ".normalization." not in name  # the BatchNorms are rebuilt from statistics below
    }
    missing = expected - loaded
    if missing:
        raise ValueError(f"not found in the ONNX graph: {sorted(missing)}")
    return folded_bias


def unfold_batchnorms(model, folded_bias: dict[str, torch.Tensor], batches) -> None:
    """Give every BatchNorm the statistics of its input on real photos, output unchanged."""
    modules = dict(model.named_modules())
    norms = {path: modules[path].normalization for path in folded_bias}
    for path, norm in norms.items():  # first: identity plus the folded bias
        with torch.no_grad():
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
            norm.weight.fill_(1.0)
            norm.bias.copy_(folded_bias[path])
    sums: dict[str, list] = {path: [0.0, 0.0, 0] for path in norms}

    def hook(path):
        def record(_module, inputs, _output):
            y = inputs[0].double()
            sums[path][0] += y.sum(dim=(0, 2, 3))
            sums[path][1] += (y * y).sum(dim=(0, 2, 3))
            sums[path][2] += y.numel() // y.shape[1]

        return record

    handles = [norm.register_forward_hook(hook(path)) for path, norm in norms.items()]
    model.eval()
    with torch.no_grad():
        for batch in batches:
            model(pixel_values=batch)
    for handle in handles:
        handle.remove()
    for path, norm in norms.items():
        total, squares, count = sums[path]
        mean = total / count
        var = (squares / count - mean * mean).clamp_min(1e-8)
        with torch.no_grad():
            norm.running_mean.copy_(mean.float())
            norm.running_var.copy_(var.float())
            norm.weight.copy_(torch.sqrt(var + norm.eps).float())
            norm.bias.copy_((mean + folded_bias[path].double()).float())


def tensors(folder: Path, preprocessor: Preprocessor, limit: int, batch: int = 32):
    paths = find_images([folder], recursive=True)
    step = max(1, len(paths) // limit)
    chosen = paths[::step][:limit]
    for start in range(0, len(chosen), batch):
        arrays = [preprocessor(load_image(p)) for p in chosen[start : start + batch]]
        yield torch.from_numpy(np.stack(arrays))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("onnx_folder", type=Path, help="an edgeclass runtime model folder")
    parser.add_argument("out", type=Path, help="where to write the PyTorch model folder")
    parser.add_argument("--stats", type=Path, required=True, help="photos for BatchNorm stats")
    parser.add_argument("--stats-images", type=int, default=1024)
    parser.add_argument("--check", type=Path, help="labelled photos to compare on (class dirs)")
    args = parser.parse_args(argv)

    folder = ModelFolder.load(args.onnx_folder)
    preprocessor = folder.preprocessor
    config = MobileViTConfig.from_json_file(args.onnx_folder / "config.json")
    model = MobileViTForImageClassification(config)
    graph = onnx.load(str(args.onnx_folder / "model.onnx")).graph
    folded = load_weights(model, graph)
    unfold_batchnorms(model, folded, tensors(args.stats, preprocessor, args.stats_images))

    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out)  # safetensors
    shutil.copy(args.onnx_folder / "preprocessor_config.json", args.out)
    MobileViTImageProcessor.from_pretrained(args.out)  # the folder's processor must load
    report = {"source": str(args.onnx_folder), "labels": folder.labels, "batchnorms": len(folded)}
    report["stats_images"] = args.stats_images

    if args.check:
        # Each photo decoded once; the ONNX model runs on the very same tensors.
        images = scan_labelled_folder(args.check, folder.labels)
        check_tensors, images = load_tensors(images, preprocessor)
        with torch.no_grad():
            restored = torch.cat(
                [
                    model(pixel_values=torch.from_numpy(check_tensors[i : i + 64])).logits
                    for i in range(0, len(check_tensors), 64)
                ]
            )
        restored_top = restored.argmax(-1).numpy()
        onnx_top = logits_of(folder.onnx_path, check_tensors).argmax(-1)
        truth = np.asarray(images.targets)
        report["check_images"] = len(images)
        report["recovered_accuracy"] = float(np.mean(restored_top == truth))
        report["onnx_accuracy"] = float(np.mean(onnx_top == truth))
        report["agreement"] = float(np.mean(restored_top == onnx_top))
    (args.out / "recovered_from_onnx.json").write_text(json.dumps(report, indent=2) + "\n")
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
