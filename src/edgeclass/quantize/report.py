"""Building quantization_report.json from a quantize run, and writing it with its page.

The schema itself (`QuantizationReport`, `from_dict`/`to_dict`, `read_report`) lives in
edgeclass.runtime.model_report, below this package, so the desktop and the bundle read reports
without edgeclass.quantize; its names are re-exported here for the quantize pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgeclass.runtime.model_report import (
    REPORT_JSON,
    REPORT_MD,
    Accuracy,
    Agreement,
    CalibrationTrial,
    ClassScore,
    Cpu,
    Disagreement,
    ExportInfo,
    FloatNode,
    GateAttempt,
    GateInfo,
    ImageSet,
    Latency,
    LogitError,
    Machine,
    ModelInfo,
    QuantizationInfo,
    QuantizationReport,
    Scores,
    Sizes,
    StageTime,
    Timing,
    display_name,
    read_report,
)
from edgeclass.schema import dataclass_from

__all__ = [  # the schema, re-exported, and the builders below
    "REPORT_JSON",
    "REPORT_MD",
    "Accuracy",
    "Agreement",
    "CalibrationTrial",
    "ClassScore",
    "Cpu",
    "Disagreement",
    "ExportInfo",
    "FloatNode",
    "GateAttempt",
    "GateInfo",
    "ImageSet",
    "Latency",
    "LogitError",
    "Machine",
    "ModelInfo",
    "QuantizationInfo",
    "QuantizationReport",
    "Scores",
    "Sizes",
    "StageTime",
    "Timing",
    "agreement_of",
    "build_report",
    "display_name",
    "latency_of",
    "read_report",
    "write_report",
]


def write_report(folder: Path, report: QuantizationReport) -> tuple[Path, Path]:
    """quantization_report.json and the same numbers as a page, quantization_report.md."""
    from edgeclass.atomic_files import write_text_atomic
    from edgeclass.quantize.report_page import render_markdown

    json_path, md_path = folder / REPORT_JSON, folder / REPORT_MD
    write_text_atomic(json_path, json.dumps(report.to_dict(), indent=2) + "\n")
    write_text_atomic(md_path, render_markdown(report))
    return json_path, md_path


def agreement_of(
    fp32_logits: np.ndarray,
    int8_logits: np.ndarray,
    eval_paths: Sequence[str],
    targets: Sequence[int],
    labels: Sequence[str],
) -> Agreement:
    """How often int8's top-1 is fp32's, and every image where it is not."""
    fp32_pred, int8_pred = fp32_logits.argmax(1), int8_logits.argmax(1)
    disagreements = tuple(
        Disagreement(
            path=eval_paths[i],
            truth=labels[targets[i]],
            fp32=labels[fp32_pred[i]],
            int8=labels[int8_pred[i]],
        )
        for i in map(int, np.nonzero(fp32_pred != int8_pred)[0])
    )
    return Agreement(rate=float((fp32_pred == int8_pred).mean()), disagreements=disagreements)


def latency_of(
    timings: Mapping[str, Mapping[str, Mapping[str, float]]], threads: int, bench_batch: int
) -> Latency:
    """latency.compare_onnx's figures for "fp32" and "int8", with the speed-ups."""
    fp32 = {key: dataclass_from(Timing, t) for key, t in timings["fp32"].items()}
    int8 = {key: dataclass_from(Timing, t) for key, t in timings["int8"].items()}
    largest = f"batch_{bench_batch}"
    return Latency(
        threads=threads,
        fp32=fp32,
        int8=int8,
        speedup_batch_1=fp32["batch_1"].p50_ms / int8["batch_1"].p50_ms,
        speedup_batch_n=fp32[largest].p50_ms / int8[largest].p50_ms,
    )


def build_report(
    *,
    model: ModelInfo,
    calibration_set: ImageSet,
    eval_set: ImageSet,
    eval_paths: Sequence[str],
    targets: Sequence[int],
    fp32_logits: np.ndarray,
    int8_logits: np.ndarray,
    fp32_scores: Scores,
    int8_scores: Scores,
    drop_points: float,
    export: ExportInfo,
    quantization: QuantizationInfo,
    gate: GateInfo,
    latency: Latency,
    sizes: Sizes,
    float_nodes: Sequence[FloatNode],
    quantizable_nodes: Sequence[str],
    cpu: Mapping[str, Any],
    versions: Mapping[str, str | None],
    stages: Sequence[StageTime],
) -> QuantizationReport:
    """The report of one run; eval_paths are relative to the eval set's folder."""
    error = np.abs(fp32_logits - int8_logits)
    return QuantizationReport(
        model=model,
        calibration_set=calibration_set,
        eval_set=eval_set,
        export=export,
        quantization=quantization,
        gate=gate,
        accuracy=Accuracy(fp32=fp32_scores, int8=int8_scores, drop_points=drop_points),
        agreement=agreement_of(fp32_logits, int8_logits, eval_paths, targets, model.labels),
        logit_error=LogitError(max_abs=float(error.max()), mean_abs=float(error.mean())),
        latency=latency,
        sizes_bytes=sizes,
        float_nodes=tuple(float_nodes),
        quantizable_nodes=tuple(quantizable_nodes),
        machine=Machine(cpu=dataclass_from(Cpu, cpu)),
        versions=dict(versions),
        stages=tuple(stages),
    )
