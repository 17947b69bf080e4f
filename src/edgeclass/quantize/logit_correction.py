"""Empirical bias correction at the output: remove the int8 model's mean logit shift.

Rounding weights and activations does not only add noise, it also shifts the mean of what each
layer computes (Nagel et al., "Data-Free Quantization", 2019, section 4.2; AIMET's empirical bias
correction). At the output such a shift shows as a constant offset between int8 and fp32 logits,
which moves the decision boundary: on the default cats-vs-dogs model int8 leaned 0.8 logits
towards "dog", and agreed with fp32 on only 82% of the test photos at the same accuracy.

The offset is measured on the calibration images (never on the evaluation set the gate and the
report score) and subtracted by one float Add after the logits: a per-class constant, free at run
time. Removing it took that model's agreement with fp32 from 82% to 90%.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CORRECTION_NODE = "/edgeclass/logit_correction/Add"
CORRECTION_TENSOR = "edgeclass_logit_correction"


def mean_logit_offset(int8_logits: np.ndarray, fp32_logits: np.ndarray) -> np.ndarray:
    """Per-class mean of int8 minus fp32 logits, centred: softmax ignores a shift common to all
    classes, so only the differences between classes are kept."""
    offset: np.ndarray = (int8_logits.astype(np.float64) - fp32_logits.astype(np.float64)).mean(
        axis=0
    )
    return np.asarray(offset - offset.mean(), dtype=np.float32)


def apply_correction(onnx_path: Path, offset: np.ndarray) -> None:
    """Rewrite `onnx_path` in place so that its first output is `logits - offset`."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    graph = model.graph
    output = graph.output[0].name
    if any(node.name == CORRECTION_NODE for node in graph.node):
        raise ValueError(f"{onnx_path} already has a logit correction")
    uncorrected = f"{output}_before_correction"
    for node in graph.node:
        node.output[:] = [uncorrected if name == output else name for name in node.output]
        node.input[:] = [uncorrected if name == output else name for name in node.input]
    graph.initializer.append(
        numpy_helper.from_array(-offset.astype(np.float32), name=CORRECTION_TENSOR)
    )
    graph.node.append(
        onnx.helper.make_node(
            "Add", [uncorrected, CORRECTION_TENSOR], [output], name=CORRECTION_NODE
        )
    )
    onnx.save(model, str(onnx_path))


def read_correction(onnx_path: Path) -> list[float] | None:
    """The offset a model subtracts from its logits, or None when it has no correction."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    node = next((n for n in graph.node if n.name == CORRECTION_NODE), None)
    if node is None:
        return None
    initializer = next(i for i in graph.initializer if i.name == node.input[1])
    return [-float(value) for value in numpy_helper.to_array(initializer)]
