"""Static int8 post-training quantization with onnxruntime, set up to be fast on CPUs.

What makes int8 pay on MobileViT (measured; see docs/notes/quantize-experiments.md):
- quant_pre_process first (ONNX shape inference + onnxruntime's basic graph optimisations), so
  the quantizer sees folded constants and fused LayerNormalization.
- QDQ format with uint8 activations and int8 per-channel weights: onnxruntime's CPU provider
  fuses DQ->Conv->Q into QLinearConv only for u8 activations on x86 (s8s8 ran at 0.4x fp32).
- Softmax, LayerNormalization and the attention core (activation x activation MatMuls, and the
  1/sqrt(d) Div where the export did not fold it into the query weights: see mobilevit_export)
  stay in float: QLinearSoftmax was slower than float Softmax, LayerNormalization has no int8
  kernel.
"""

from __future__ import annotations

import enum
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgeclass.quantize.graph import WEIGHTED_OP_TYPES, GraphIndex


class CalibrationChoice(str, enum.Enum):
    MINMAX = "minmax"
    ENTROPY = "entropy"
    PERCENTILE = "percentile"


# Kept in float by default, by operator type (see the module docstring for why).
FLOAT_OP_TYPES = frozenset({"Softmax", "LayerNormalization"})


@dataclass(frozen=True)
class QuantSettings:
    """Everything that decides the int8 graph; recorded verbatim in the report."""

    calibration: CalibrationChoice = CalibrationChoice.MINMAX
    per_channel: bool = True
    # 7-bit weights: needed on x86 without VNNI, where u8*s8 products summed in pairs by
    # VPMADDUBSW can saturate int16; VNNI and ARM do not need it.
    reduce_range: bool = False
    mode: str = "static"  # "static" (shipped) or "dynamic" (comparison only)
    float_attention_core: bool = True
    # Subtract int8's mean logit shift, measured on the calibration images (logit_correction.py).
    logit_correction: bool = True
    exclude_nodes: tuple[str, ...] = ()
    extra_options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "format": "QDQ" if self.mode == "static" else "QOperator (dynamic)",
            "activation_type": "uint8" if self.mode == "static" else "uint8 (dynamic)",
            "weight_type": "int8",
            "calibration": self.calibration.value,
            "per_channel": self.per_channel,
            "reduce_range": self.reduce_range,
            "float_op_types": sorted(FLOAT_OP_TYPES),
            "float_attention_core": self.float_attention_core,
            "logit_correction": self.logit_correction,
            "exclude_nodes": list(self.exclude_nodes),
            "extra_options": dict(self.extra_options),
        }


def settings_for_cpu(has_vnni: bool, machine: str, **overrides: Any) -> QuantSettings:
    """reduce_range only where it is needed: x86 without VNNI."""
    is_x86 = machine.lower() in {"x86_64", "amd64", "i386", "i686"}
    return QuantSettings(reduce_range=is_x86 and not has_vnni, **overrides)


def preprocess_for_quantization(fp32_path: Path, out_path: Path) -> Path:
    """onnxruntime's quant_pre_process. Symbolic shape inference cannot follow MobileViT's
    dynamic patch arithmetic, so ONNX's own shape inference is used instead."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    quant_pre_process(str(fp32_path), str(out_path), skip_symbolic_shape=True)
    return out_path


def quantize_model(
    prepared_path: Path,
    out_path: Path,
    calibration_tensors: np.ndarray,
    input_name: str,
    settings: QuantSettings,
    *,
    cache_path: Path | None = None,
    graph: GraphIndex | None = None,
) -> Path:
    """Write the int8 model. cache_path (JSON) lets retries reuse one calibration pass; graph
    is `prepared_path`'s index, when the caller has it already."""
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.registry import QDQRegistry, QLinearOpsRegistry

    from edgeclass.quantize.calibrate import TensorCalibrationReader

    excluded = list(settings.exclude_nodes)
    if settings.float_attention_core:
        excluded += (graph or GraphIndex.load(prepared_path)).attention_core_nodes()
    if settings.mode == "dynamic":
        quantize_dynamic(
            str(prepared_path),
            str(out_path),
            per_channel=settings.per_channel,
            reduce_range=settings.reduce_range,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(settings.exclude_nodes),
            op_types_to_quantize=sorted(WEIGHTED_OP_TYPES),
        )
        return out_path
    op_types = sorted((set(QDQRegistry) | set(QLinearOpsRegistry)) - FLOAT_OP_TYPES)
    method = {
        CalibrationChoice.MINMAX: CalibrationMethod.MinMax,
        CalibrationChoice.ENTROPY: CalibrationMethod.Entropy,
        CalibrationChoice.PERCENTILE: CalibrationMethod.Percentile,
    }[settings.calibration]
    extra = dict(settings.extra_options)
    reader = None
    if cache_path is None or not cache_path.is_file():
        reader = TensorCalibrationReader(calibration_tensors, input_name)
        # Bounded memory: ranges are merged every few batches instead of keeping every
        # intermediate tensor of every image (gigabytes for a 256x256 MobileViT).
        extra["CalibStridedMinMax"] = reader.stride()
    with tempfile.TemporaryDirectory(prefix="edgeclass-calib-") as scratch:
        if cache_path is None:
            cache_path = Path(scratch) / "calibration.json"
        quantize_static(
            str(prepared_path),
            str(out_path),
            reader,
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=op_types,
            per_channel=settings.per_channel,
            reduce_range=settings.reduce_range,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=excluded,
            calibrate_method=method,
            calibration_cache_path=str(cache_path),
            extra_options=extra,
        )
    return out_path


def compact_for_shipping(model_path: Path, out_path: Path) -> Path:
    """Same graph, smaller file: short tensor names, no cached shapes.

    The quantizer's tensor names (`.../Mul_output_0_QuantizeLinear_Output`) take ~0.5 MB in a
    MobileViT-small, about 10% of the int8 file. Node names are kept: --exclude-nodes and the
    report refer to them. Graph inputs and outputs keep their names (the runtime and Optimum
    look them up).
    """
    import onnx

    model = onnx.load(str(model_path))
    graph = model.graph
    keep = {value.name for value in graph.input} | {value.name for value in graph.output} | {""}
    renamed: dict[str, str] = {}

    def short(name: str) -> str:
        if name in keep:
            return name
        return renamed.setdefault(name, f"t{len(renamed)}")

    for initializer in graph.initializer:
        initializer.name = short(initializer.name)
    for node in graph.node:
        node.input[:] = [short(name) for name in node.input]
        node.output[:] = [short(name) for name in node.output]
        node.doc_string = ""
    del graph.value_info[:]
    onnx.save(model, str(out_path))
    return out_path
