"""Per-layer sensitivity: how much signal each int8 layer destroys, to pick what stays float.

For every layer with int8 weights we compare its input and output tensors in the float model and
in the (unfused) QDQ model on a few images, as noise-to-signal power ratios (NSR: quantization
noise power / signal power). The NSR a layer adds (NSR of its output minus NSR of its input) is
the damage that layer does: its weight rounding plus the rounding of what it reads. Layers that
add the most go back to float first. This is the local proxy NNCF/Neural Compressor rank with
before their accuracy-checked search; the gate then checks real accuracy after each change.

Linear, not dB: a difference of SQNRs in dB ranks the first convolution first on every model
(its input, the image, is almost noise-free, so any output noise is "many dB lost") although it
adds almost nothing; what breaks accuracy is noise comparable to the signal.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from onnx import ModelProto
    from onnxruntime import InferenceSession


def _with_outputs(model: ModelProto, tensor_names: Sequence[str], out_path: Path) -> Path:
    """Add `tensor_names` to `model`'s outputs (in place) and save it to `out_path`."""
    import onnx

    existing = {output.name for output in model.graph.output}
    for name in tensor_names:
        if name not in existing:
            model.graph.output.append(onnx.ValueInfoProto(name=name))
            existing.add(name)
    onnx.save(model, str(out_path))
    return out_path


def _raw_session(path: Path) -> InferenceSession:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # No fusion: the QDQ graph then computes exactly what int8 kernels compute, and every
    # intermediate tensor we asked for stays visible.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def layer_sensitivity(
    float_path: Path,
    int8_path: Path,
    tensors: np.ndarray,
    candidates: Sequence[str],
    batch_size: int = 4,
) -> list[tuple[str, float]]:
    """(node name, noise-to-signal power ratio added) for each candidate, most sensitive first."""
    import onnx

    float_model, int8_model = onnx.load(str(float_path)), onnx.load(str(int8_path))
    by_name = {node.name: node for node in float_model.graph.node}
    nodes = [by_name[name] for name in candidates if name in by_name]
    watched = sorted({t for node in nodes for t in (node.input[0], node.output[0])})
    signal = dict.fromkeys(watched, 0.0)
    noise = dict.fromkeys(watched, 0.0)
    with tempfile.TemporaryDirectory(prefix="edgeclass-sens-") as scratch:
        float_session = _raw_session(_with_outputs(float_model, watched, Path(scratch) / "f.onnx"))
        int8_session = _raw_session(_with_outputs(int8_model, watched, Path(scratch) / "q.onnx"))
        input_name = float_session.get_inputs()[0].name
        names = [output.name for output in float_session.get_outputs()]
        qnames = [output.name for output in int8_session.get_outputs()]
        for start in range(0, len(tensors), batch_size):
            feed = {input_name: tensors[start : start + batch_size]}
            reference = dict(zip(names, float_session.run(None, feed), strict=True))
            quantized = dict(zip(qnames, int8_session.run(None, feed), strict=True))
            for name in watched:
                ref = reference[name].astype(np.float64)
                signal[name] += float(np.square(ref).sum())
                noise[name] += float(np.square(ref - quantized[name]).sum())

    def nsr(name: str) -> float:
        return noise[name] / max(signal[name], 1e-30)

    added = [(node.name, nsr(node.output[0]) - nsr(node.input[0])) for node in nodes]
    return sorted(added, key=lambda item: item[1], reverse=True)
