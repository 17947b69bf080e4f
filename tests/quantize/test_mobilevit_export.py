"""The exact MobileViT graph rewrites applied before ONNX export."""

from __future__ import annotations

import onnx
import pytest
import torch

from edgeclass.quantize.mobilevit_export import SCALE_REWRITE, UNFOLD_REWRITE, prepare_for_export


def _tiny_mobilevit(seed: int = 0):
    from make_tiny_model import realistic_init, tiny_config
    from transformers import MobileViTForImageClassification

    torch.manual_seed(seed)
    model = MobileViTForImageClassification(tiny_config())
    realistic_init(model)  # Transformers' own init collapses the logits to 0
    return model.eval()


@pytest.mark.parametrize("size", [(64, 64), (75, 101)], ids=["patch-aligned", "interpolated"])
def test_rewritten_model_computes_what_the_original_does(size):
    original = _tiny_mobilevit()
    rewritten = _tiny_mobilevit()
    assert prepare_for_export(rewritten) == sorted([UNFOLD_REWRITE, SCALE_REWRITE])
    pixels = torch.randn(3, 3, *size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = original(pixel_values=pixels).logits
        got = rewritten(pixel_values=pixels).logits
    assert expected.abs().max() > 1e-3, "a collapsed model would compare nothing"
    assert torch.allclose(got, expected, atol=1e-5, rtol=1e-4)


def test_only_the_given_instance_changes():
    from transformers.models.mobilevit import modeling_mobilevit

    rewritten, untouched = _tiny_mobilevit(), _tiny_mobilevit()
    prepare_for_export(rewritten)
    assert not torch.equal(
        rewritten.mobilevit.encoder.layer[2].transformer.layer[0].attention.attention.query.weight,
        untouched.mobilevit.encoder.layer[2].transformer.layer[0].attention.attention.query.weight,
    )
    assert "forward" not in vars(
        untouched.mobilevit.encoder.layer[2].transformer.layer[0].attention.attention
    )
    assert modeling_mobilevit.MobileViTLayer.unfolding.__module__ == modeling_mobilevit.__name__


def test_other_architectures_and_training_mode_are_refused_or_left_alone():
    from transformers import ViTConfig, ViTForImageClassification

    vit = ViTForImageClassification(
        ViTConfig(
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=37,
            image_size=32,
            patch_size=8,
        )
    ).eval()
    assert prepare_for_export(vit) == []
    with pytest.raises(ValueError, match="eval-mode"):
        prepare_for_export(_tiny_mobilevit().train())


def test_exported_graph_has_single_transposes_and_no_score_division(fp32_onnx):
    from edgeclass.quantize.export import applied_rewrites

    assert applied_rewrites(fp32_onnx.parent) == sorted([UNFOLD_REWRITE, SCALE_REWRITE])
    graph = onnx.load(str(fp32_onnx)).graph
    producers = {output: node for node in graph.node for output in node.output}
    six_d = [
        node
        for node in graph.node
        if node.op_type == "Transpose"
        and len(onnx.helper.get_attribute_value(node.attribute[0])) == 6
    ]
    layers = {node.name.split("/")[3] for node in six_d}
    assert len(six_d) == 2 * len(layers) and layers, "one transpose to unfold, one to fold"
    score_divs = [
        node
        for node in graph.node
        if node.op_type == "Div"
        and node.input[0] in producers
        and producers[node.input[0]].op_type == "MatMul"
    ]
    assert score_divs == []


def test_plain_export_keeps_transformers_graph(tmp_path, trained_model_dir):
    from edgeclass.quantize.export import applied_rewrites, export_onnx

    plain = export_onnx(trained_model_dir, tmp_path / "plain", rewrite=False)
    assert applied_rewrites(plain.parent) == []
    nodes = onnx.load(str(plain)).graph.node
    assert "Div" in [node.op_type for node in nodes]
    assert not any(
        node.op_type == "Transpose" and len(onnx.helper.get_attribute_value(node.attribute[0])) == 6
        for node in nodes
    )


def test_exported_graph_keeps_height_and_width_dynamic(fp32_onnx, trained_model_dir):
    """Traced at 64x64, run at 128x128: the rewrite must not bake the tracing size in (it did
    once, and a model whose config.json and preprocessor disagreed broke). Sizes that need the
    feature-map interpolation when the tracing size did not (or the reverse) fail, as in
    Transformers' own export: that branch is fixed at tracing time."""
    import onnxruntime as ort
    from transformers import MobileViTForImageClassification

    pixels = torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        model = MobileViTForImageClassification.from_pretrained(trained_model_dir).eval()
        expected = model(pixel_values=pixels).logits.numpy()
    session = ort.InferenceSession(str(fp32_onnx), providers=["CPUExecutionProvider"])
    got = session.run(None, {"pixel_values": pixels.numpy()})[0]
    assert abs(got - expected).max() <= 1e-4
