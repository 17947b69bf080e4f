"""Logging a quantization into the trainer's MLflow run (metrics prefixed `quant_`)."""

from __future__ import annotations

from pathlib import Path

from edgeclass.quantize.report import REPORT_JSON, REPORT_MD, QuantizationReport
from edgeclass.training_summary import SummaryError, read_summary


def mlflow_target(model_dir: Path) -> tuple[str, str] | None:
    """(run_id, tracking_uri) from the trainer's training_summary.json, when it has them."""
    try:
        mlflow_run = read_summary(model_dir).mlflow
    except SummaryError:
        return None
    run_id, uri = mlflow_run.run_id, mlflow_run.tracking_uri
    return (run_id, uri) if run_id and uri else None


def log_to_mlflow(run_id: str, tracking_uri: str, report: QuantizationReport, folder: Path) -> None:
    """Metrics and the report files, into the training run."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    accuracy, latency = report.accuracy, report.latency
    metrics = {
        "quant_fp32_accuracy": accuracy.fp32.accuracy,
        "quant_int8_accuracy": accuracy.int8.accuracy,
        "quant_accuracy_drop_points": accuracy.drop_points,
        "quant_agreement": report.agreement.rate,
        "quant_fp32_p50_ms_b1": latency.fp32["batch_1"].p50_ms,
        "quant_int8_p50_ms_b1": latency.int8["batch_1"].p50_ms,
        "quant_speedup_b1": latency.speedup_batch_1,
        "quant_int8_size_mb": report.sizes_bytes.int8 / 1e6,
    }
    for key, value in metrics.items():
        client.log_metric(run_id, key, float(value))
    for name in (REPORT_JSON, REPORT_MD):
        client.log_artifact(run_id, str(folder / name), artifact_path="quantization")
