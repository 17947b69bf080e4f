"""edgeclass quantize on a tiny MobileViT trained in the session: export, int8, gate, report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from model_edits import edited_copy
from quant_shapes import LABELS

from edgeclass.errors import DataError, ModelError


def _session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _logits(path: Path, tensors: np.ndarray) -> np.ndarray:
    return _session(path).run(None, {"pixel_values": tensors})[0]


def _isa_flags_of_this_cpu() -> dict[str, bool]:
    """The report's ISA flags, read here from /proc/cpuinfo's first flags line."""
    from edgeclass.quantize.sysinfo import ISA_FLAGS

    if not Path("/proc/cpuinfo").is_file():
        pytest.skip("no /proc/cpuinfo on this system")
    text = Path("/proc/cpuinfo").read_text(errors="replace")
    flags = re.search(r"^(?:flags|Features)\s*:(.*)$", text, re.MULTILINE)
    present = set(flags.group(1).split()) if flags else set()
    return {flag: flag in present for flag in ISA_FLAGS}


def test_isa_flags_and_vnni_come_from_cpuinfo(tmp_path):
    from edgeclass.quantize.sysinfo import cpu_info

    x86 = tmp_path / "x86"
    x86.write_text(
        "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 fma avx512f avx512_vnni\n\n"
        "processor\t: 1\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 amx_int8\n"
    )
    info = cpu_info(x86)
    assert info["model"] == "Some CPU"
    assert info["isa"] == {
        "avx2": True,
        "fma": True,
        "avx512f": True,
        "avx512bw": False,
        "avx512_vnni": True,
        "avx_vnni": False,
        "amx_int8": False,  # only the first CPU's flags are read
    }
    assert info["vnni"] is True
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd\n")
    assert cpu_info(arm)["vnni"] is False and not any(cpu_info(arm)["isa"].values())
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd asimddp\n")
    assert cpu_info(arm)["vnni"] is True
    assert cpu_info(tmp_path / "missing")["isa"] == dict.fromkeys(info["isa"], False)


def test_export_matches_pytorch_with_a_dynamic_batch(fp32_onnx, trained_model_dir, eval_tensors):
    import torch
    from transformers import MobileViTForImageClassification

    tensors = eval_tensors[0]
    model = MobileViTForImageClassification.from_pretrained(trained_model_dir).eval()
    with torch.no_grad():
        reference = model(pixel_values=torch.from_numpy(tensors)).logits.numpy()
    session = _session(fp32_onnx)
    assert isinstance(session.get_inputs()[0].shape[0], str), "batch axis must be dynamic"
    exported = session.run(None, {"pixel_values": tensors})[0]
    assert np.abs(reference - exported).max() <= 1e-4
    assert onnx.load(str(fp32_onnx)).opset_import[0].version == 18


def test_trained_model_learned_something(quantized):
    # The fixture model must be better than chance, or the accuracy checks below prove nothing.
    assert quantized.report["accuracy"]["fp32"]["accuracy"] > 0.5


def test_int8_is_close_to_fp32(quantized, fp32_onnx, eval_tensors):
    tensors = eval_tensors[0]
    fp32 = _logits(fp32_onnx, tensors)
    int8 = _logits(quantized.out_dir / "model.onnx", tensors)
    spread = fp32.max() - fp32.min()
    assert np.abs(fp32 - int8).max() < 0.15 * spread
    assert (fp32.argmax(1) == int8.argmax(1)).mean() >= 0.9
    graph = onnx.load(str(quantized.out_dir / "model.onnx")).graph
    assert sum(node.op_type == "QuantizeLinear" for node in graph.node) > 10


def test_report_numbers_match_an_independent_recount(quantized, fp32_onnx, eval_tensors):
    tensors, targets, paths = eval_tensors
    report = quantized.report
    fp32_pred = _logits(fp32_onnx, tensors).argmax(1)
    int8_pred = _logits(quantized.out_dir / "model.onnx", tensors).argmax(1)
    assert report["eval_set"]["images"] == len(targets) == 60
    assert report["accuracy"]["fp32"]["accuracy"] == pytest.approx((fp32_pred == targets).mean())
    assert report["accuracy"]["int8"]["accuracy"] == pytest.approx((int8_pred == targets).mean())
    drop = 100 * ((fp32_pred == targets).mean() - (int8_pred == targets).mean())
    assert report["accuracy"]["drop_points"] == pytest.approx(drop)
    for index, label in enumerate(LABELS):
        mask = targets == index
        per_class = report["accuracy"]["int8"]["per_class"][label]
        assert per_class["images"] == mask.sum()
        assert per_class["correct"] == (int8_pred[mask] == index).sum()
    assert report["agreement"]["rate"] == pytest.approx((fp32_pred == int8_pred).mean())
    differ = {
        str(paths[i].relative_to(paths[i].parents[1]))
        for i in np.nonzero(fp32_pred != int8_pred)[0]
    }
    assert {item["path"] for item in report["agreement"]["disagreements"]} == differ
    assert report["sizes_bytes"]["int8"] == os.path.getsize(quantized.out_dir / "model.onnx")
    assert report["sizes_bytes"]["fp32"] == os.path.getsize(fp32_onnx)
    for name in ("fp32", "int8"):
        for key in ("batch_1", "batch_8"):
            stats = report["latency"][name][key]
            assert 0 < stats["p50_ms"] <= stats["p95_ms"]
    assert report["latency"]["threads"] == 2
    assert report["machine"]["cpu"]["isa"] == _isa_flags_of_this_cpu()
    assert report["versions"]["onnxruntime"] == ort.__version__
    saved = json.loads((quantized.out_dir / "quantization_report.json").read_text())
    assert saved["accuracy"] == json.loads(json.dumps(report["accuracy"]))
    markdown = (quantized.out_dir / "quantization_report.md").read_text()
    assert f"{100 * report['accuracy']['int8']['accuracy']:.2f}%" in markdown
    assert "MODEL_CARD" not in markdown and (quantized.out_dir / "MODEL_CARD.md").is_file()


def test_written_files_hold_no_build_path_and_read_back_typed(quantized, tmp_path_factory):
    from edgeclass.quantize.report import QuantizationReport, read_report

    # Every folder of the run (model, data, MLflow store, output) is under the session's temp.
    build_root = str(tmp_path_factory.getbasetemp())
    for name in ("quantization_report.json", "quantization_report.md", "MODEL_CARD.md"):
        text = (quantized.out_dir / name).read_text()
        assert build_root not in text, name
    saved = json.loads((quantized.out_dir / "quantization_report.json").read_text())
    assert saved["model"]["name"] == "with-summary0/model"
    assert saved["eval_set"]["name"] == "shapes0/eval"
    assert [stage["name"] for stage in saved["stages"]] == [
        "load sets",
        "export and check",
        "calibrate",
        "gate",
        "package",
        "measure",
    ]
    assert QuantizationReport.from_dict(saved).to_dict() == saved
    assert read_report(quantized.out_dir) == quantized.quantization_report


def test_folder_runs_in_the_runtime_classifier(quantized, eval_tensors):
    from edgeclass.runtime import Classifier

    tensors, _, paths = eval_tensors
    classifier = Classifier(quantized.out_dir, threads=1)
    assert classifier.labels == LABELS
    results = list(classifier.classify_paths(paths, batch_size=8))
    assert all(result.ok for result in results)
    expected = _logits(quantized.out_dir / "model.onnx", tensors).argmax(1)
    assert [result.label for result in results] == [LABELS[i] for i in expected]
    assert classifier.folder.quantization_report["gate"]["verdict"] == "passed"


def test_folder_loads_in_optimum(quantized, eval_tensors):
    import torch
    from optimum.onnxruntime import ORTModelForImageClassification

    tensors = eval_tensors[0][:4]
    model = ORTModelForImageClassification.from_pretrained(quantized.out_dir)
    logits = model(pixel_values=torch.from_numpy(tensors)).logits
    expected = _logits(quantized.out_dir / "model.onnx", tensors)
    np.testing.assert_allclose(np.asarray(logits), expected, atol=1e-5)
    assert model.config.id2label[0] == "cat"


def test_report_is_logged_to_the_training_run(quantized, mlflow_run):
    import mlflow

    run_id, uri = mlflow_run
    client = mlflow.MlflowClient(tracking_uri=uri)
    metrics = client.get_run(run_id).data.metrics
    assert metrics["quant_int8_accuracy"] == pytest.approx(
        quantized.report["accuracy"]["int8"]["accuracy"]
    )
    artifacts = {item.path for item in client.list_artifacts(run_id, "quantization")}
    assert "quantization/quantization_report.json" in artifacts


def test_too_small_calibration_set_is_a_data_error(tmp_path, trained_model_dir, shapes_data):
    from quant_shapes import write_split

    from edgeclass.quantize.pipeline import QuantizeRequest, run_quantize

    small = write_split(tmp_path / "small", per_class=2, seed=5)
    request = QuantizeRequest(trained_model_dir, small, shapes_data["eval"], tmp_path / "out")
    with pytest.raises(DataError, match="at least 16"):
        run_quantize(request, progress=lambda message: None)
    assert not (tmp_path / "out").exists()


def test_a_folder_without_weights_is_a_model_error(tmp_path, shapes_data):
    from edgeclass.quantize.pipeline import QuantizeRequest, run_quantize

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text('{"id2label": {"0": "a"}}')
    request = QuantizeRequest(
        tmp_path / "model", shapes_data["train"], shapes_data["eval"], tmp_path / "o"
    )
    with pytest.raises(ModelError, match="no trained weights"):
        run_quantize(request, progress=lambda message: None)


# --- the command line, as a user runs it -------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "edgeclass", *args], capture_output=True, text=True, timeout=300
    )


def _quantize_cli(model_dir, data, out, *extra: str) -> subprocess.CompletedProcess:
    """`edgeclass quantize` on the shapes data with quick settings, plus `extra` flags."""
    return _cli(
        "quantize",
        str(model_dir),
        "--calib",
        str(data["train"]),
        "--eval",
        str(data["eval"]),
        "--out",
        str(out),
        "--calib-size",
        "60",
        "--calibration-method",
        "minmax",
        "--min-agreement",  # the drop alone, unless a test asks for agreement (later flags win)
        "0",
        *extra,
    )


def test_cli_keeps_named_nodes_in_float(tmp_path, trained_model_dir, shapes_data, quantized):
    node = quantized.report["quantizable_nodes"][3]
    out = tmp_path / "int8"
    done = _quantize_cli(
        trained_model_dir,
        shapes_data,
        out,
        "--max-drop",
        "100",
        "--exclude-nodes",
        node,
        "--no-mlflow",
        "--no-logit-correction",
    )
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    graph = onnx.load(str(out / "model.onnx")).graph
    weights = {init.name: init for init in graph.initializer}
    target = next(n for n in graph.node if n.name == node)
    assert weights[target.input[1]].data_type == onnx.TensorProto.FLOAT  # float, no DQ in front
    quantized_twin = next(
        n for n in onnx.load(str(quantized.out_dir / "model.onnx")).graph.node if n.name == node
    )
    assert quantized_twin.input[1] not in weights  # in the default run it read a DQ output
    report = json.loads((out / "quantization_report.json").read_text())
    assert {"node": node, "why": "named with --exclude-nodes"} in report["float_nodes"]
    assert report["quantization"]["logit_correction_offset"] is None  # --no-logit-correction
    assert report["quantization"]["settings"]["logit_correction"] is False

    printed = _cli("report", str(out))
    assert printed.returncode == 0
    assert "Quantization report" in printed.stdout and node in printed.stdout


def test_cli_gate_failure_exits_5_and_writes_nothing(tmp_path, trained_model_dir, shapes_data):
    out = tmp_path / "int8"
    done = _quantize_cli(
        trained_model_dir, shapes_data, out, "--max-drop", "-50", "--max-float-nodes", "2"
    )
    assert done.returncode == 5, done.stderr
    assert "accuracy gate failed" in done.stderr and "up to 2 layer(s)" in done.stderr
    assert "trying parts of the network in float" in done.stderr
    # Every attempt's drop is in the message, not only the last one's.
    tried = re.search(
        r"drop by attempt: all int8: -?[\d.]+, sensitive 1: -?[\d.]+, front 1: -?[\d.]+, "
        r"sensitive 2: -?[\d.]+, front 2: -?[\d.]+\)",
        done.stderr,
    )
    assert tried, done.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".int8")]  # no temp left


def test_cli_errors_have_their_exit_codes(tmp_path, trained_model_dir, shapes_data):
    common = ["--calib", str(shapes_data["train"]), "--out", str(tmp_path / "o")]
    not_model = _cli("quantize", str(tmp_path), *common, "--eval", str(shapes_data["eval"]))
    assert not_model.returncode == 3
    assert "config.json" in not_model.stderr
    (tmp_path / "wrong" / "fish").mkdir(parents=True)
    wrong = _cli("quantize", str(trained_model_dir), *common, "--eval", str(tmp_path / "wrong"))
    assert wrong.returncode == 4
    assert "fish" in wrong.stderr
    missing_report = _cli("report", str(tmp_path))
    assert missing_report.returncode == 3


def test_sensitivity_ranks_every_weighted_layer(tmp_path, fp32_onnx, eval_tensors):
    """The ranking itself; that it finds the layer that matters is shown by the gate recovery
    test below (a dB ranking put the first convolution first on every model)."""
    from edgeclass.quantize.gate import exclusion_steps
    from edgeclass.quantize.graph import GraphIndex
    from edgeclass.quantize.quantize import (
        QuantSettings,
        preprocess_for_quantization,
        quantize_model,
    )
    from edgeclass.quantize.sensitivity import layer_sensitivity

    tensors = eval_tensors[0]
    prepared = preprocess_for_quantization(fp32_onnx, tmp_path / "prepared.onnx")
    candidates = GraphIndex.load(prepared).weighted_nodes()
    int8 = quantize_model(prepared, tmp_path / "a.onnx", tensors, "pixel_values", QuantSettings())
    ranking = layer_sensitivity(prepared, int8, tensors[:8], candidates)
    assert sorted(name for name, _ in ranking) == sorted(candidates)
    assert all(np.isfinite(nsr) for _, nsr in ranking)
    assert [nsr for _, nsr in ranking] == sorted((nsr for _, nsr in ranking), reverse=True)
    assert ranking[0][1] > 0, "int8 adds noise somewhere"
    assert ranking[0][0] != candidates[0], "the first convolution reads a noise-free image"
    assert exclusion_steps(8) == [1, 2, 4, 8] and exclusion_steps(5) == [1, 2, 4, 5]


def test_auto_calibration_keeps_the_method_closest_to_fp32(quantized):
    trials = quantized.report["quantization"]["calibration_trials"]
    assert {trial["method"] for trial in trials} == {"minmax", "entropy", "percentile"}
    best = min(trials, key=lambda trial: (trial["mean_abs_logit_error"], -trial["agreement"]))
    assert quantized.report["quantization"]["settings"]["calibration"] == best["method"]
    assert quantized.report["logit_error"]["mean_abs"] == pytest.approx(
        best["mean_abs_logit_error"]
    )


@pytest.fixture(scope="session")
def fragile_classifier_model(tmp_path_factory, trained_model_dir) -> Path:
    """The trained model with a classifier that per-channel int8 cannot represent, same fp32.

    One pooled feature is pinned to ~0 (its BatchNorm outputs -20, SiLU(-20) = -4e-8) and the
    classifier gets a weight of 1000 on it: fp32 logits move by 4e-5, but each int8 row's scale
    becomes 1000/127, so every real weight rounds to zero and int8 predicts one class.
    """

    def pin_feature(model, feature: int = 0) -> None:
        norm = model.mobilevit.conv_1x1_exp.normalization
        norm.weight[feature] = 0.0
        norm.bias[feature] = -20.0
        model.classifier.weight[:, feature] = 1000.0

    out = tmp_path_factory.mktemp("fragile") / "model"
    return edited_copy(trained_model_dir, out, pin_feature)


def test_gate_recovers_by_moving_the_sensitive_layer_back_to_float(
    tmp_path, fragile_classifier_model, shapes_data
):
    no_help = _quantize_cli(
        fragile_classifier_model,
        shapes_data,
        tmp_path / "refused",
        "--max-drop",
        "5",
        "--max-float-nodes",
        "0",
        "--no-mlflow",
    )
    assert no_help.returncode == 5, no_help.stderr  # int8 as such loses far more than 5 points

    out = tmp_path / "recovered"
    done = _quantize_cli(
        fragile_classifier_model, shapes_data, out, "--max-drop", "5", "--no-mlflow"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "quantization_report.json").read_text())
    gate = report["gate"]
    assert len(gate["attempts"]) >= 2, "the first, all-int8 attempt must have failed"
    first, last = gate["attempts"][0], gate["attempts"][-1]
    assert first["drop_points"] > 5 >= last["drop_points"]
    classifier = next(
        node.name
        for node in onnx.load(str(out / "model.onnx")).graph.node
        if "classifier" in node.name and node.op_type in ("Gemm", "MatMul")
    )
    worst_layer = gate["sensitivity_noise_added"][0][0]
    assert worst_layer == classifier, json.dumps(gate, indent=1)[:3000]
    assert classifier in [entry["node"] for entry in report["float_nodes"]]
    accuracy = report["accuracy"]
    assert accuracy["fp32"]["accuracy"] - accuracy["int8"]["accuracy"] <= 0.05


def test_logit_correction_removes_int8s_mean_shift(tmp_path, fp32_onnx, eval_tensors):
    import shutil

    from edgeclass.quantize.logit_correction import (
        apply_correction,
        mean_logit_offset,
        read_correction,
    )
    from edgeclass.quantize.quantize import (
        QuantSettings,
        preprocess_for_quantization,
        quantize_model,
    )

    tensors = eval_tensors[0]
    prepared = preprocess_for_quantization(fp32_onnx, tmp_path / "prepared.onnx")
    plain = quantize_model(prepared, tmp_path / "a.onnx", tensors, "pixel_values", QuantSettings())
    fp32, int8 = _logits(fp32_onnx, tensors), _logits(plain, tensors)
    offset = mean_logit_offset(int8, fp32)
    assert offset.shape == (len(LABELS),) and abs(offset.sum()) < 1e-5
    assert np.abs(offset).max() > 1e-4, "int8 shifts the logits of a model this small"

    corrected = shutil.copy(plain, tmp_path / "b.onnx")
    apply_correction(corrected, offset)
    after = _logits(corrected, tensors)
    np.testing.assert_allclose(after, int8 - offset, atol=1e-5)
    assert np.abs(mean_logit_offset(after, fp32)).max() < 1e-5
    assert read_correction(corrected) == pytest.approx(offset.tolist(), abs=1e-6)
    assert read_correction(plain) is None
    with pytest.raises(ValueError, match="already"):
        apply_correction(corrected, offset)


def test_shipped_model_carries_the_reported_correction(quantized):
    from edgeclass.quantize.logit_correction import read_correction

    reported = quantized.report["quantization"]["logit_correction_offset"]
    assert reported is not None and len(reported) == len(LABELS)
    assert read_correction(quantized.out_dir / "model.onnx") == pytest.approx(reported, abs=1e-6)
    assert "Logit correction" in (quantized.out_dir / "quantization_report.md").read_text()
    assert "mean logit shift" in (quantized.out_dir / "MODEL_CARD.md").read_text()
