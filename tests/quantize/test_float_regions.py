"""What the gate keeps in float: a layer with its activation, or the front of the network."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
from model_edits import edited_copy
from test_quantize import _quantize_cli

EXPAND = "/mobilevit/encoder/layer.0/layer.0/expand_1x1"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, fp32_onnx) -> Path:
    from edgeclass.quantize.quantize import preprocess_for_quantization

    return preprocess_for_quantization(
        fp32_onnx, tmp_path_factory.mktemp("regions") / "prepared.onnx"
    )


def _consumers(graph, tensor: str) -> list:
    return [node for node in graph.node if tensor in node.input]


def test_a_layer_region_holds_its_bias_and_activation_not_the_residual_add(prepared):
    from edgeclass.quantize.graph import GraphIndex

    graph = GraphIndex.load(prepared)
    weighted = graph.weighted_nodes()
    regions = graph.float_regions(weighted)
    ops = {node.name: node.op_type for node in onnx.load(str(prepared)).graph.node}
    expand = f"{EXPAND}/convolution/Conv"
    assert sorted(ops[name] for name in regions[expand]) == ["Conv", "Mul", "Sigmoid"]
    # The block's last 1x1 has no activation; the residual Add after it reads another branch.
    reduce = "/mobilevit/encoder/layer.0/layer.0/reduce_1x1/convolution/Conv"
    assert regions[reduce] == [reduce]
    # A transformer projection: MatMul plus its bias Add.
    matmul = next(name for name in weighted if name.endswith("attention/query/MatMul"))
    assert [ops[name] for name in regions[matmul]] == ["MatMul", "Add"]
    assert all(region[0] == name for name, region in regions.items())


def test_the_front_is_a_prefix_of_the_graph_up_to_the_kth_layer(prepared):
    from edgeclass.quantize.graph import GraphIndex

    graph = GraphIndex.load(prepared)
    weighted = graph.weighted_nodes()
    order = graph.node_names
    front = graph.front_nodes(weighted, 3)
    assert front == order[: len(front)]
    assert set(weighted[:3]) <= set(front) and weighted[3] not in front
    assert set(graph.float_regions([weighted[2]])[weighted[2]]) <= set(front)
    # The block's residual Add comes after its 4th layer (reduce_1x1), before the next block's.
    residual = "/mobilevit/encoder/layer.0/layer.0/Add"
    assert residual not in front and residual not in graph.front_nodes(weighted, 4)
    assert residual in graph.front_nodes(weighted, 5)


def test_a_region_in_float_keeps_its_activations_out_of_int8(tmp_path, prepared, eval_tensors):
    """Excluding the convolution alone leaves its output quantized (its Sigmoid and Mul are int8
    nodes and quantize what they read); excluding its region does not."""
    from edgeclass.quantize.graph import GraphIndex
    from edgeclass.quantize.quantize import QuantSettings, quantize_model

    tensors = eval_tensors[0]
    conv = f"{EXPAND}/convolution/Conv"
    region = GraphIndex.load(prepared).float_regions([conv])[conv]

    def quantized_reads(exclude: list[str]) -> set[str]:
        settings = QuantSettings(exclude_nodes=tuple(exclude), logit_correction=False)
        out = quantize_model(prepared, tmp_path / "m.onnx", tensors, "pixel_values", settings)
        graph = onnx.load(str(out)).graph
        by_name = {node.name: node for node in graph.node}
        readers = {name: _consumers(graph, by_name[name].output[0]) for name in region}
        return {
            name
            for name in region
            if any(reader.op_type == "QuantizeLinear" for reader in readers[name])
        }

    assert conv in quantized_reads([conv])
    assert quantized_reads(region) == {f"{EXPAND}/activation/Mul"}  # read by the int8 conv_3x3


@pytest.fixture(scope="module")
def fragile_front_model(tmp_path_factory, trained_model_dir) -> Path:
    """The trained model with one channel of the stem pinned at 2000.

    The next layers read that channel with zero weights, so fp32 just loses it; but int8 has one
    scale per tensor, 2000/255 per step, so every other channel of the stem's output, and of the
    residual sum it flows into, rounds to zero. No layer in float with its activation
    repairs that: the residual Add and the convolutions reading the pinned tensors must be float
    too, which only the front of the network holds.
    """

    def pin_stem_channel(model) -> None:
        encoder = model.mobilevit.encoder
        model.mobilevit.conv_stem.normalization.weight[0] = 0.0
        model.mobilevit.conv_stem.normalization.bias[0] = 2000.0
        encoder.layer[0].layer[0].expand_1x1.convolution.weight[:, 0] = 0.0
        # The residual carries the pinned channel into the next block (no residual there).
        encoder.layer[1].layer[0].expand_1x1.convolution.weight[:, 0] = 0.0

    out = tmp_path_factory.mktemp("fragile-front") / "model"
    return edited_copy(trained_model_dir, out, pin_stem_channel)


def test_gate_repairs_a_broken_front_and_reports_every_attempt(
    tmp_path, fragile_front_model, shapes_data
):
    out = tmp_path / "int8"
    done = _quantize_cli(
        fragile_front_model, shapes_data, out, "--max-drop", "5", "--min-agreement", "0.95"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "quantization_report.json").read_text())
    gate = report["gate"]
    first, kept = gate["attempts"][0], gate["attempts"][-1]
    assert first["label"] == "all int8" and first["drop_points"] > 5, gate["attempts"]
    assert kept["label"] == gate["kept"] and kept["drop_points"] <= 5
    assert kept["label"].startswith("front"), gate["attempts"]
    assert gate["min_agreement"] == 0.95 and kept["agreement"] >= 0.95
    assert report["agreement"]["rate"] == kept["agreement"]
    floated = {entry["node"] for entry in report["float_nodes"]}
    needed = {
        "/mobilevit/conv_stem/activation/Mul",
        "/mobilevit/encoder/layer.0/layer.0/Add",
        f"{EXPAND}/convolution/Conv",
        "/mobilevit/encoder/layer.1/layer.0/expand_1x1/convolution/Conv",
    }
    assert needed <= floated, sorted(floated)
    page = (out / "quantization_report.md").read_text()
    assert "Gate attempts" in page and f"| {kept['label']} |" in page


def test_gate_keeps_the_most_faithful_attempt_when_agreement_is_out_of_reach(
    tmp_path, fragile_front_model, shapes_data
):
    """--min-agreement 1.0: the first attempt that agrees on every image is kept; when none
    does, every attempt is tried and the one closest to fp32 within --max-drop is written (the
    target asks for fidelity, it does not fail a model that keeps its accuracy)."""
    out = tmp_path / "int8"
    done = _quantize_cli(
        fragile_front_model,
        shapes_data,
        out,
        "--max-drop",
        "5",
        "--min-agreement",
        "1.0",
        "--max-float-nodes",
        "8",
    )
    assert done.returncode == 0, done.stderr
    gate = json.loads((out / "quantization_report.json").read_text())["gate"]
    attempts = gate["attempts"]
    labels = [attempt["label"] for attempt in attempts]
    assert labels[0] == "all int8" and len(labels) == len(set(labels)) >= 3
    perfect = [a for a in attempts if a["drop_points"] <= 5 and a["agreement"] == 1.0]
    if perfect:
        assert gate["kept"] == perfect[0]["label"] == labels[-1]  # the search stopped there
    else:
        assert labels[-1] in ("sensitive 8", "front 8")  # every float set was tried
        within = [a for a in attempts if a["drop_points"] <= 5]
        assert gate["kept"] == max(within, key=lambda attempt: attempt["agreement"])["label"]


def test_min_agreement_outside_0_1_is_a_usage_error(tmp_path, trained_model_dir, shapes_data):
    done = _quantize_cli(trained_model_dir, shapes_data, tmp_path / "o", "--min-agreement", "98")
    assert done.returncode == 2
    assert "--min-agreement: must be between 0 and 1, got 98.0" in done.stderr
