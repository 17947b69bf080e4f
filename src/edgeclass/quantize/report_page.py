"""quantization_report.md: the report's numbers as a page (what `edgeclass report` prints)."""

from __future__ import annotations

import json
import math

from edgeclass.quantize.report import QuantizationReport

DISAGREEMENTS_SHOWN = 50


def _pct(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.2f}%"


def render_markdown(report: QuantizationReport) -> str:
    """The human page: the same numbers as the JSON, as tables."""
    acc = report.accuracy
    lines = [
        f"# Quantization report: {report.model.name}",
        "",
        f"Verdict: **{report.gate.verdict}** (int8 lost {acc.drop_points:.2f} points; "
        f"allowed {report.gate.max_drop_points}).",
        "",
        *_accuracy(report),
        *_speed(report),
        "## Sizes",
        "",
        f"fp32 {report.sizes_bytes.fp32 / 1e6:.2f} MB, int8 {report.sizes_bytes.int8 / 1e6:.2f} MB "
        f"({100 * report.sizes_bytes.int8 / report.sizes_bytes.fp32:.1f}% of fp32).",
        "",
        *_export_and_quantization(report),
        *_gate(report),
        *_float_layers(report),
        *_stages(report),
        "## Versions",
        "",
        *(f"- {name}: {version}" for name, version in report.versions.items()),
    ]
    return "\n".join(lines) + "\n"


def _accuracy(report: QuantizationReport) -> list[str]:
    acc, agreement, cpu = report.accuracy, report.agreement, report.machine.cpu
    lines = [
        "## Accuracy on the held-out set",
        "",
        f"{report.eval_set.images} images from `{report.eval_set.name}`, on {cpu.model} "
        f"(int8 instructions: {cpu.int8_isa}) with onnxruntime "
        f"{report.versions.get('onnxruntime') or 'of unknown version'}. On a CPU with other int8 "
        'instructions the int8 results differ slightly (docs/quantize.md, "Other CPUs").',
        "",
        "| | fp32 | int8 |",
        "|---|---|---|",
        f"| overall | {_pct(acc.fp32.accuracy)} | {_pct(acc.int8.accuracy)} |",
    ]
    for label, fp in acc.fp32.per_class.items():
        q = acc.int8.per_class[label]
        lines.append(f"| {label} ({fp.images} images) | {_pct(fp.accuracy)} | {_pct(q.accuracy)} |")
    lines += [
        "",
        f"Top-1 agreement fp32 vs int8: {_pct(agreement.rate)} "
        f"({len(agreement.disagreements)} images differ). Logit error: max "
        f"{report.logit_error.max_abs:.4f}, mean {report.logit_error.mean_abs:.4f}.",
        "",
    ]
    if agreement.disagreements:
        lines += ["| image | truth | fp32 | int8 |", "|---|---|---|---|"]
        for item in agreement.disagreements[:DISAGREEMENTS_SHOWN]:
            lines.append(f"| {item.path} | {item.truth} | {item.fp32} | {item.int8} |")
        lines.append("")
    return lines


def _speed(report: QuantizationReport) -> list[str]:
    lat, cpu = report.latency, report.machine.cpu
    lines = [
        "## Speed",
        "",
        f"CPU: {cpu.model} ({cpu.logical_cpus} logical CPUs); ISA: "
        + ", ".join(flag for flag, present in cpu.isa.items() if present)
        + f"; int8 instructions: {cpu.int8_isa}. onnxruntime CPU provider, {lat.threads} "
        "intra-op threads; fp32 and int8 timed interleaved in one run.",
        "",
        "| model | batch | p50 ms | p95 ms | images/s |",
        "|---|---|---|---|---|",
    ]
    for name, timings in (("fp32", lat.fp32), ("int8", lat.int8)):
        for stats in timings.values():
            lines.append(
                f"| {name} | {stats.batch} | {stats.p50_ms:.2f} | {stats.p95_ms:.2f} "
                f"| {stats.images_per_s:.1f} |"
            )
    slower = (
        " **int8 is slower than fp32 here**: small models spend their time in per-operator "
        "overhead, and int8 adds Quantize/Dequantize and splits SiLU in two."
    )
    lines += [
        "",
        f"int8 speed-up at batch 1: x{lat.speedup_batch_1:.2f}; at batch "
        f"{lat.largest_batch}: x{lat.speedup_batch_n:.2f}."
        + (slower if lat.speedup_batch_1 < 1.0 else ""),
        "",
    ]
    return lines


def _export_and_quantization(report: QuantizationReport) -> list[str]:
    export, quantization = report.export, report.quantization
    lines = [
        "## Export and quantization",
        "",
        f"Exported with Optimum, opset {export.opset}; PyTorch vs ONNX fp32 max "
        f"abs logit difference {export.parity_max_abs_diff:.2e} on "
        f"{export.parity_images} images. Exact graph rewrites before export: "
        f"{', '.join(export.graph_rewrites or ['none'])}.",
        "",
        "Settings: `" + json.dumps(quantization.settings) + "`",
        "",
    ]
    offset = quantization.logit_correction_offset
    if offset:
        shifts = ", ".join(
            f"{label} {value:+.3f}"
            for label, value in zip(report.model.labels, offset, strict=True)
        )
        lines += [
            "Logit correction: int8's mean logit shift on the calibration images, "
            f"{shifts}, is subtracted by one Add after the logits.",
            "",
        ]
    if quantization.calibration_trials:
        lines += [
            "Calibration trials (the closest to fp32 by mean logit error is kept):",
            "",
            "| calibration | int8 accuracy | mean abs logit error | agreement |",
            "|---|---|---|---|",
        ]
        for trial in quantization.calibration_trials:
            lines.append(
                f"| {trial.method} | {_pct(trial.int8_accuracy)} | "
                f"{trial.mean_abs_logit_error:.4f} | {_pct(trial.agreement)} |"
            )
        lines.append("")
    return lines


def _gate(report: QuantizationReport) -> list[str]:
    gate = report.gate
    if len(gate.attempts) <= 1:
        return []
    lines = [
        f"Gate attempts (target: drop <= {gate.max_drop_points} points, agreement >= "
        f"{_pct(gate.min_agreement)}; kept: {gate.kept or 'the last'}):",
        "",
        "| attempt | layers with weights in float | int8 accuracy | drop | agreement |",
        "|---|---|---|---|---|",
    ]
    for attempt in gate.attempts:
        lines.append(
            f"| {attempt.label} | {attempt.float_layers} | {_pct(attempt.int8_accuracy)} | "
            f"{attempt.drop_points:.2f} | {_pct(attempt.agreement)} |"
        )
    lines.append("")
    return lines


def _float_layers(report: QuantizationReport) -> list[str]:
    lines = ["## Layers kept in float", ""]
    by_reason: dict[str, list[str]] = {}
    for item in report.float_nodes:
        by_reason.setdefault(item.why, []).append(item.node)
    for why, nodes in by_reason.items():
        lines.append(f"- {why}: " + ", ".join(f"`{node}`" for node in nodes))
    if not report.float_nodes:
        lines.append("None beyond the defaults (Softmax, LayerNormalization, attention core).")
    lines.append("")
    return lines


def _stages(report: QuantizationReport) -> list[str]:
    if not report.stages:
        return []
    total = sum(stage.seconds for stage in report.stages)
    lines = ["## Time by stage", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {stage.name} | {stage.seconds:.1f} |" for stage in report.stages]
    return [*lines, f"| total | {total:.1f} |", ""]
