"""Model folders whose behaviour is known by construction, built with onnx.helper in a test.

- colour model: labels red, green, blue; logits = 10 x the mean of each channel, so an image
  is labelled by its dominant colour.
- left-half model: labels left, other; it only ever looks at the left half of its input
  (logit of `left` = 4 x (mean of the left half - 0.5), `other` = 0).
Both take 32x32 RGB, rescaled to 0..1, no normalisation, no channel flip.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SIZE = 32
PREPROCESSOR = {
    "image_processor_type": "ViTImageProcessor",
    "do_resize": True,
    "size": {"height": SIZE, "width": SIZE},
    "resample": 2,
    "do_rescale": True,
    "rescale_factor": 1 / 255,
    "do_normalize": False,
}


def _save(folder: Path, graph, labels: tuple[str, ...]) -> Path:
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, folder / "model.onnx")
    config = {"id2label": {str(i): label for i, label in enumerate(labels)}}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR))
    return folder


def _io(classes: int):
    from onnx import TensorProto, helper

    pixels = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["N", 3, SIZE, SIZE])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])
    return pixels, logits


def colour_model(folder: Path) -> Path:
    from onnx import helper, numpy_helper

    pixels, logits = _io(3)
    gain = numpy_helper.from_array(np.array(10.0, np.float32), "gain")
    shape = numpy_helper.from_array(np.array([-1, 3], np.int64), "shape")
    nodes = [
        helper.make_node("ReduceMean", ["pixel_values"], ["means"], axes=[2, 3], keepdims=0),
        helper.make_node("Reshape", ["means", "shape"], ["flat"]),
        helper.make_node("Mul", ["flat", "gain"], ["logits"]),
    ]
    graph = helper.make_graph(nodes, "colour", [pixels], [logits], [gain, shape])
    return _save(folder, graph, ("red", "green", "blue"))


def left_half_model(folder: Path) -> Path:
    from onnx import helper, numpy_helper

    pixels, logits = _io(2)
    constants = [
        numpy_helper.from_array(np.array([0], np.int64), "starts"),
        numpy_helper.from_array(np.array([SIZE // 2], np.int64), "ends"),
        numpy_helper.from_array(np.array([3], np.int64), "axes"),
        numpy_helper.from_array(np.array([-1, 1], np.int64), "shape"),
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(np.array(4.0, np.float32), "gain"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
    ]
    nodes = [
        helper.make_node("Slice", ["pixel_values", "starts", "ends", "axes"], ["left"]),
        helper.make_node("ReduceMean", ["left"], ["mean"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Reshape", ["mean", "shape"], ["column"]),
        helper.make_node("Sub", ["column", "half"], ["centred"]),
        helper.make_node("Mul", ["centred", "gain"], ["left_logit"]),
        helper.make_node("Mul", ["column", "zero"], ["other_logit"]),
        helper.make_node("Concat", ["left_logit", "other_logit"], ["logits"], axis=1),
    ]
    graph = helper.make_graph(nodes, "left_half", [pixels], [logits], constants)
    return _save(folder, graph, ("left", "other"))
