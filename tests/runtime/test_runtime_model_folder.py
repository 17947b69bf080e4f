"""Model folders: loading, every way one can be broken, and where the runtime looks for one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeclass.errors import ModelError
from edgeclass.runtime import (
    Classifier,
    ModelFolder,
    Preprocessor,
    create_session,
    resolve_model_dir,
)
from edgeclass.runtime import locate as locate_module


def test_loads_the_fixture(tiny_model_dir):
    folder = ModelFolder.load(tiny_model_dir)
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert folder.labels == tuple(config["id2label"][str(i)] for i in range(len(folder.labels)))
    assert folder.onnx_path == tiny_model_dir / "model.onnx"
    assert folder.preprocessor.output_size == (64, 64)
    assert folder.model_card is None and folder.quantization_report is None


def test_optional_card_and_report_are_read(model_copy):
    (model_copy / "MODEL_CARD.md").write_text("# My model\n")
    (model_copy / "quantization_report.json").write_text(json.dumps({"accuracy_drop": 0.004}))
    folder = ModelFolder.load(model_copy)
    assert folder.model_card == "# My model\n"
    assert folder.quantization_report == {"accuracy_drop": 0.004}


def _edit_config(folder: Path, **changes) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda f: (f / "model.onnx").unlink(), "has no model.onnx"),
        (lambda f: (f / "config.json").unlink(), "config.json is missing"),
        (lambda f: (f / "preprocessor_config.json").write_text("{nope"), "not valid JSON"),
        (lambda f: _edit_config(f, id2label={}), "id2label"),
        (lambda f: _edit_config(f, id2label={"0": "a", "2": "b"}), "keys must be 0..1"),
        (lambda f: _edit_config(f, id2label={"x": "a"}), "must be integers"),
    ],
)
def test_broken_folders_raise_model_error(model_copy, breakage, message):
    breakage(model_copy)
    with pytest.raises(ModelError, match=message):
        ModelFolder.load(model_copy)


def test_missing_folder(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        ModelFolder.load(tmp_path / "absent")


def test_garbage_onnx_is_a_model_error(model_copy):
    (model_copy / "model.onnx").write_bytes(b"definitely not protobuf" * 10)
    with pytest.raises(ModelError, match="onnxruntime cannot load"):
        create_session(model_copy / "model.onnx")
    with pytest.raises(ModelError):
        Classifier(model_copy)


def test_label_count_must_match_the_model(model_copy):
    _edit_config(model_copy, id2label={"0": "cat", "1": "dog"})
    with pytest.raises(ModelError, match="outputs 3 classes"):
        Classifier(model_copy)


def test_preprocessor_size_must_match_a_static_model(model_copy):
    onnx = pytest.importorskip("onnx", reason="editing the fixture graph needs onnx")
    model = onnx.load(str(model_copy / "model.onnx"))
    for dim in model.graph.input[0].type.tensor_type.shape.dim[2:]:
        dim.dim_value = 64  # the fixture's height and width, now fixed
    onnx.save(model, str(model_copy / "model.onnx"))
    Classifier(model_copy)  # still consistent
    path = model_copy / "preprocessor_config.json"
    config = json.loads(path.read_text())
    config["crop_size"] = {"height": 32, "width": 32}
    path.write_text(json.dumps(config))
    with pytest.raises(ModelError, match="takes 64x64"):
        Classifier(model_copy)


def test_session_reads_names_from_the_model(tiny_model_dir):
    session = create_session(tiny_model_dir / "model.onnx", threads=1)
    assert [i.name for i in session.get_inputs()] == ["pixel_values"]
    assert session.get_providers() == ["CPUExecutionProvider"]
    with pytest.raises(ValueError):
        create_session(tiny_model_dir / "model.onnx", threads=0)


@pytest.mark.parametrize(
    "config",
    [
        {"do_resize": True, "size": {"longest_edge": 100}},
        {"do_resize": True, "size": {"shortest_edge": 100}, "crop_pct": 0.875},
        {"do_resize": False, "do_center_crop": False},
        {"do_resize": True},
        ["not", "a", "dict"],
    ],
)
def test_unsupported_preprocessors_are_model_errors(config):
    with pytest.raises(ModelError):
        Preprocessor.from_config(config)


def test_resolve_prefers_flag_then_environment(tmp_path, monkeypatch, tiny_model_dir):
    monkeypatch.setenv("EDGECLASS_MODEL", str(tmp_path))
    assert resolve_model_dir(tiny_model_dir) == tiny_model_dir
    assert resolve_model_dir(None) == tmp_path
    monkeypatch.setenv("EDGECLASS_MODEL", str(tmp_path / "absent"))
    with pytest.raises(ModelError, match="EDGECLASS_MODEL"):
        resolve_model_dir(None)
    with pytest.raises(ModelError, match="--model"):
        resolve_model_dir(tmp_path / "absent")


def test_no_model_anywhere_says_how_to_pass_one(monkeypatch):
    monkeypatch.delenv("EDGECLASS_MODEL", raising=False)
    # A build without a bundled model, whether or not this checkout has one.
    monkeypatch.setattr(locate_module, "bundled_model_dir", lambda: None)
    with pytest.raises(ModelError) as caught:
        resolve_model_dir(None)
    message = str(caught.value)
    assert "no bundled default model" in message
    assert "--model" in message and "EDGECLASS_MODEL" in message


def test_keys_left_out_take_the_transformers_class_defaults():
    transformers = pytest.importorskip("transformers", reason="compares with transformers")
    for name in ("MobileViTImageProcessor", "ViTImageProcessor"):
        explicit = Preprocessor.from_config(getattr(transformers, name)().to_dict())
        assert Preprocessor.from_config({"image_processor_type": name}) == explicit
