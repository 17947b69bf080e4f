"""quantization_report.json + quantization_report.md, and logging them to the training run."""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from pathlib import Path

from edgeclass.file_modes import as_new_file

log = logging.getLogger(__name__)

REPORT_JSON = "quantization_report.json"
REPORT_MD = "quantization_report.md"


def write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        as_new_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_report(folder: Path, report: dict) -> tuple[Path, Path]:
    json_path, md_path = folder / REPORT_JSON, folder / REPORT_MD
    write_text_atomic(json_path, json.dumps(_json_safe(report), indent=2) + "\n")
    write_text_atomic(md_path, render_markdown(report))
    return json_path, md_path


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def render_markdown(report: dict) -> str:
    """The human page: the same numbers as the JSON, as tables."""
    acc, lat, size = report["accuracy"], report["latency"], report["sizes_bytes"]
    cpu = report["machine"]["cpu"]
    lines = [
        f"# Quantization report: {report['model']['source']}",
        "",
        f"Verdict: **{report['gate']['verdict']}** (int8 lost {acc['drop_points']:.2f} points; "
        f"allowed {report['gate']['max_drop_points']}).",
        "",
        "## Accuracy on the held-out set",
        "",
        f"{report['eval_set']['images']} images from `{report['eval_set']['path']}`.",
        "",
        "| | fp32 | int8 |",
        "|---|---|---|",
        f"| overall | {_pct(acc['fp32']['accuracy'])} | {_pct(acc['int8']['accuracy'])} |",
    ]
    for label, fp in acc["fp32"]["per_class"].items():
        q = acc["int8"]["per_class"][label]
        lines.append(
            f"| {label} ({fp['images']} images) | {_pct(fp['accuracy'])} | {_pct(q['accuracy'])} |"
        )
    agreement = report["agreement"]
    lines += [
        "",
        f"Top-1 agreement fp32 vs int8: {_pct(agreement['rate'])} "
        f"({len(agreement['disagreements'])} images differ). Logit error: max "
        f"{report['logit_error']['max_abs']:.4f}, mean {report['logit_error']['mean_abs']:.4f}.",
        "",
    ]
    if agreement["disagreements"]:
        lines += ["| image | truth | fp32 | int8 |", "|---|---|---|---|"]
        for item in agreement["disagreements"][:50]:
            lines.append(f"| {item['path']} | {item['truth']} | {item['fp32']} | {item['int8']} |")
        lines.append("")
    lines += [
        "## Speed",
        "",
        f"CPU: {cpu['model']} ({cpu['logical_cpus']} logical CPUs); ISA: "
        + ", ".join(flag for flag, present in cpu["isa"].items() if present)
        + f". onnxruntime CPU provider, {lat['threads']} intra-op threads; fp32 and int8 timed "
        "interleaved in one run.",
        "",
        "| model | batch | p50 ms | p95 ms | images/s |",
        "|---|---|---|---|---|",
    ]
    for name in ("fp32", "int8"):
        for stats in lat[name].values():
            lines.append(
                f"| {name} | {stats['batch']} | {stats['p50_ms']:.2f} | {stats['p95_ms']:.2f} "
                f"| {stats['images_per_s']:.1f} |"
            )
    lines += [
        "",
        f"int8 speed-up at batch 1: x{lat['speedup_batch_1']:.2f}; at batch "
        f"{max(s['batch'] for s in lat['int8'].values())}: x{lat['speedup_batch_n']:.2f}."
        + (
            " **int8 is slower than fp32 here**: small models spend their time in per-operator "
            "overhead, and int8 adds Quantize/Dequantize and splits SiLU in two."
            if lat["speedup_batch_1"] < 1.0
            else ""
        ),
        "",
        "## Sizes",
        "",
        f"fp32 {size['fp32'] / 1e6:.2f} MB, int8 {size['int8'] / 1e6:.2f} MB "
        f"({100 * size['int8'] / size['fp32']:.1f}% of fp32).",
        "",
        "## Export and quantization",
        "",
        f"Exported with Optimum, opset {report['export']['opset']}; PyTorch vs ONNX fp32 max "
        f"abs logit difference {report['export']['parity_max_abs_diff']:.2e} on "
        f"{report['export']['parity_images']} images. Exact graph rewrites before export: "
        f"{', '.join(report['export'].get('graph_rewrites') or ['none'])}.",
        "",
        "Settings: `" + json.dumps(report["quantization"]["settings"]) + "`",
        "",
    ]
    offset = report["quantization"].get("logit_correction_offset")
    if offset:
        lines += [
            "Logit correction: int8's mean logit shift on the calibration images, "
            + ", ".join(
                f"{label} {value:+.3f}"
                for label, value in zip(report["model"]["labels"], offset, strict=True)
            )
            + ", is subtracted by one Add after the logits.",
            "",
        ]
    calibration = report["quantization"].get("calibration_trials") or []
    if calibration:
        lines += [
            "Calibration trials (the closest to fp32 by mean logit error is kept):",
            "",
            "| calibration | int8 accuracy | mean abs logit error | agreement |",
            "|---|---|---|---|",
        ]
        for trial in calibration:
            lines.append(
                f"| {trial['method']} | {_pct(trial['int8_accuracy'])} | "
                f"{trial['mean_abs_logit_error']:.4f} | {_pct(trial['agreement'])} |"
            )
        lines.append("")
    gate = report["gate"]
    if len(gate["attempts"]) > 1:
        lines += [
            f"Gate attempts (target: drop <= {gate['max_drop_points']} points, agreement >= "
            f"{_pct(gate.get('min_agreement'))}; kept: {gate.get('kept', 'the last')}):",
            "",
            "| attempt | layers with weights in float | int8 accuracy | drop | agreement |",
            "|---|---|---|---|---|",
        ]
        for attempt in gate["attempts"]:
            lines.append(
                f"| {attempt.get('label', '')} | {attempt.get('float_layers', '')} | "
                f"{_pct(attempt['int8_accuracy'])} | {attempt['drop_points']:.2f} | "
                f"{_pct(attempt.get('agreement'))} |"
            )
        lines.append("")
    lines += ["## Layers kept in float", ""]
    by_reason: dict[str, list[str]] = {}
    for item in report["float_nodes"]:
        by_reason.setdefault(item["why"], []).append(item["node"])
    for why, nodes in by_reason.items():
        lines.append(f"- {why}: " + ", ".join(f"`{node}`" for node in nodes))
    if not report["float_nodes"]:
        lines.append("None beyond the defaults (Softmax, LayerNormalization, attention core).")
    lines += ["", "## Versions", ""]
    lines += [f"- {name}: {version}" for name, version in report["versions"].items()]
    return "\n".join(lines) + "\n"


def mlflow_target(model_dir: Path) -> tuple[str, str] | None:
    """(run_id, tracking_uri) from the trainer's training_summary.json, when it has them."""
    path = model_dir / "training_summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    block = summary.get("mlflow", summary) if isinstance(summary, dict) else {}
    run_id, uri = block.get("run_id"), block.get("tracking_uri")
    return (run_id, uri) if run_id and uri else None


def log_to_mlflow(run_id: str, tracking_uri: str, report: dict, folder: Path) -> None:
    """Metrics and the report files, into the training run (prefix `quant_`)."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    acc, lat = report["accuracy"], report["latency"]
    metrics = {
        "quant_fp32_accuracy": acc["fp32"]["accuracy"],
        "quant_int8_accuracy": acc["int8"]["accuracy"],
        "quant_accuracy_drop_points": acc["drop_points"],
        "quant_agreement": report["agreement"]["rate"],
        "quant_fp32_p50_ms_b1": lat["fp32"]["batch_1"]["p50_ms"],
        "quant_int8_p50_ms_b1": lat["int8"]["batch_1"]["p50_ms"],
        "quant_speedup_b1": lat["speedup_batch_1"],
        "quant_int8_size_mb": report["sizes_bytes"]["int8"] / 1e6,
    }
    for key, value in metrics.items():
        client.log_metric(run_id, key, float(value))
    for name in (REPORT_JSON, REPORT_MD):
        client.log_artifact(run_id, str(folder / name), artifact_path="quantization")
