"""run_gate's every way out, with scripted logits: each attempt's "int8 model" is a real ONNX
file (run by onnxruntime, as the gate runs any model) that answers a table of logits chosen by
the test, so each branch is reached on every machine, whatever its CPU.

20 images, 2 classes; fp32 gets 18 right (images 0 and 10 wrong). --max-drop 5 points (one
image), --min-agreement 0.95 (19 of 20 answers as fp32's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgeclass.quantize.evaluate import score
from edgeclass.quantize.gate import FloatChoice, GateFailed, run_gate

LABELS = ("cat", "dog")
TARGETS = [0] * 10 + [1] * 10
FP32 = [1 - t if i in (0, 10) else t for i, t in enumerate(TARGETS)]
RANKING = [("layer-a", 0.3), ("layer-b", 0.1)]


def flipped(*images: int) -> list[int]:
    """fp32's answers with `images` answered the other way."""
    return [1 - p if i in images else p for i, p in enumerate(FP32)]


def logits(predictions: list[int]) -> np.ndarray:
    return np.eye(2, dtype=np.float32)[predictions] * 4 - 2


def answering(path: Path, predictions: list[int]) -> Path:
    """An ONNX model whose input holds each image's index and whose output is its row of the
    table: Gather(table, Cast(Reshape(index)))."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    table = numpy_helper.from_array(logits(predictions), "table")
    flat = numpy_helper.from_array(np.array([-1], np.int64), "flat")
    nodes = [
        helper.make_node("Reshape", ["index", "flat"], ["index_flat"]),
        helper.make_node("Cast", ["index_flat"], ["row"], to=TensorProto.INT64),
        helper.make_node("Gather", ["table", "row"], ["logits"], axis=0),
    ]
    graph = helper.make_graph(
        nodes,
        "scripted",
        [helper.make_tensor_value_info("index", TensorProto.FLOAT, ["N", 1])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])],
        [table, flat],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


class ScriptedGate:
    """quantize() and propose() for run_gate: `script` maps each choice's label ("all int8"
    first) to the answers its model gives; records what was quantized and proposed."""

    def __init__(self, script: dict[str, list[int]]) -> None:
        self.script = script
        self.choices = [
            FloatChoice(label, layers, {f"node-of-{label}": "scripted"})
            for layers, label in enumerate(list(script)[1:], start=1)
        ]
        self.quantized: list[str] = []
        self.proposed = 0

    def quantize(self, float_nodes: list[str], out_path: Path) -> Path:
        label = float_nodes[0].removeprefix("node-of-") if float_nodes else "all int8"
        self.quantized.append(label)
        return answering(out_path, self.script[label])

    def propose(self, all_int8: Path) -> tuple[list[FloatChoice], list[tuple[str, float]]]:
        assert all_int8.is_file()
        self.proposed += 1
        return self.choices, RANKING

    def run(self, workdir: Path):
        fp32_logits = logits(FP32)
        return run_gate(
            quantize=self.quantize,
            propose=self.propose,
            eval_tensors=np.arange(20, dtype=np.float32).reshape(20, 1),
            targets=TARGETS,
            labels=LABELS,
            fp32_logits=fp32_logits,
            fp32_scores=score(fp32_logits, TARGETS, LABELS),
            max_drop=5.0,
            min_agreement=0.95,
            workdir=workdir,
            progress=lambda line: None,
        )


def test_an_all_int8_model_within_both_targets_is_kept_without_trying_more(tmp_path):
    gate = ScriptedGate({"all int8": FP32, "never": flipped(0)})
    result = gate.run(tmp_path)
    assert gate.quantized == ["all int8"] and gate.proposed == 0
    assert (result.choice.label, result.drop_points, result.agreement) == ("all int8", 0.0, 1.0)
    assert [a.label for a in result.attempts] == ["all int8"] and result.float_nodes == []


def test_the_first_attempt_within_both_targets_is_kept_and_no_later_one_is_tried(tmp_path):
    gate = ScriptedGate(
        {
            "all int8": flipped(2, 3),  # drop 10, agreement 0.90
            "front 1": flipped(2),  # drop 5, agreement 0.95: done
            "front 2": FP32,  # better still, but never tried
        }
    )
    result = gate.run(tmp_path)
    assert gate.quantized == ["all int8", "front 1"]
    assert result.choice.label == "front 1" and result.float_nodes == ["node-of-front 1"]
    assert (result.drop_points, result.agreement) == (5.0, 0.95)
    assert result.int8_path == tmp_path / "int8-1.onnx"
    assert [a.label for a in result.attempts] == ["all int8", "front 1"]
    assert result.sensitivity == RANKING


def test_without_the_agreement_target_the_most_faithful_attempt_within_the_drop_is_kept(
    tmp_path,
):
    gate = ScriptedGate(
        {
            "all int8": flipped(0, 10, 11),  # drop -5, agreement 0.85
            "sensitive 1": flipped(2, 3, 4),  # drop 15: out, agreement 0.85
            "front 1": flipped(0, 2),  # drop 0, agreement 0.90: the most faithful within
            "front 2": flipped(0, 10, 2, 3),  # drop 0, agreement 0.80: the last, not the best
        }
    )
    result = gate.run(tmp_path)
    assert gate.quantized == ["all int8", "sensitive 1", "front 1", "front 2"]
    assert result.choice.label == "front 1"
    assert (result.drop_points, result.agreement) == (0.0, 0.9)
    assert result.int8_path == tmp_path / "int8-2.onnx"
    np.testing.assert_array_equal(result.int8_logits, logits(flipped(0, 2)))
    assert [a.label for a in result.attempts] == list(gate.script)
    assert [a.drop_points for a in result.attempts] == [-5.0, 15.0, 0.0, 0.0]


def test_an_all_int8_model_past_the_drop_is_never_kept_however_faithful(tmp_path):
    gate = ScriptedGate(
        {
            "all int8": flipped(2, 3),  # drop 10: out, agreement 0.90
            "front 1": flipped(0, 10, 2),  # drop -5, agreement 0.85: the only one within
        }
    )
    result = gate.run(tmp_path)
    assert result.choice.label == "front 1" and result.drop_points == -5.0


def test_no_attempt_within_the_drop_fails_with_every_attempt_named(tmp_path):
    gate = ScriptedGate(
        {
            "all int8": flipped(2, 3),  # drop 10
            "sensitive 1": flipped(2, 3, 4),  # drop 15
            "front 2": flipped(2, 3, 4, 5),  # drop 20
        }
    )
    with pytest.raises(GateFailed) as failed:
        gate.run(tmp_path)
    message = str(failed.value)
    assert "int8 accuracy drop 20.00 points exceeds --max-drop 5.0" in message
    assert "up to 2 layer(s) kept in float" in message
    assert "all int8: 10.00, sensitive 1: 15.00, front 2: 20.00" in message
    assert [a.label for a in failed.value.attempts] == list(gate.script)
