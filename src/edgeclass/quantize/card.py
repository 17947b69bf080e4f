"""MODEL_CARD.md for the shipped int8 folder: where it came from and what it honestly does."""

from __future__ import annotations

from pathlib import Path, PurePath

from edgeclass.quantize.report import QuantizationReport, display_name
from edgeclass.training_summary import SummaryError, read_summary

# Settings that name a folder (or a hub id, which display_name leaves as it is), relative
# (`../shared/data/...`) as often as absolute.
FOLDER_SETTINGS = ("data", "model")


def _shown(key: str, value: object) -> object:
    """A training setting as the card shows it: a path by its name only (the card ships)."""
    if isinstance(value, str) and (key in FOLDER_SETTINGS or PurePath(value).is_absolute()):
        return display_name(value)
    return value


def _training_lines(model_dir: Path) -> list[str]:
    try:
        summary = read_summary(model_dir)
    except SummaryError:
        return ["- No training_summary.json was found next to the trained weights."]
    lines = []
    for key in ("data", "from_scratch", "model", "epochs", "image_size", "seed"):
        if key in summary.config:
            lines.append(f"- {key}: `{_shown(key, summary.config[key])}`")
    if summary.mlflow.run_id:
        # Not the tracking URI: a local store's URI is a path on the machine that trained.
        lines.append(f"- MLflow run `{summary.mlflow.run_id}`")
    return lines or ["- training_summary.json holds no recognised fields."]


def render_card(model_dir: Path, report: QuantizationReport) -> str:
    acc, lat = report.accuracy, report.latency
    labels = ", ".join(report.model.labels)
    settings = report.quantization.settings
    correction = (
        "; int8's mean logit shift on the calibration images is subtracted at the output."
        if report.quantization.logit_correction_offset
        else "."
    )
    return "\n".join(
        [
            f"# Model card: {report.model.name} (int8 ONNX)",
            "",
            f"An image classifier for: {labels}. Input: one RGB photo, prepared as "
            "`preprocessor_config.json` says; output: one probability per label.",
            "",
            "## Provenance",
            "",
            f"- Trained model: `{report.model.name}` "
            f"({report.model.model_type or 'unknown architecture'})",
            *_training_lines(model_dir),
            f"- Exported to ONNX with Optimum (opset {report.export.opset}), quantized to "
            f"int8 with onnxruntime {report.versions.get('onnxruntime')} (static, "
            f"{settings['calibration']} calibration on {report.calibration_set.images} images "
            f"from `{report.calibration_set.name}`) by edgeclass "
            f"{report.versions.get('edgeclass')}" + correction,
            "",
            "## Measured, not promised",
            "",
            f"On {report.eval_set.images} held-out images (`{report.eval_set.name}`):",
            f"fp32 accuracy {100 * acc.fp32.accuracy:.2f}%, int8 "
            f"{100 * acc.int8.accuracy:.2f}% (drop {acc.drop_points:.2f} points); "
            f"fp32 and int8 agree on {100 * report.agreement.rate:.2f}% of images.",
            f"Latency at batch 1 on {report.machine.cpu.model} with {lat.threads} threads: fp32 "
            f"{lat.fp32['batch_1'].p50_ms:.1f} ms, int8 "
            f"{lat.int8['batch_1'].p50_ms:.1f} ms (median; shared machine, so treat the "
            "ratio as the meaningful number).",
            "",
            "## Limits",
            "",
            "- It only knows the labels above: anything else is forced into one of them. Use a "
            "probability threshold to send doubtful images to `unknown`.",
            "- Accuracy was measured on one held-out set; photos unlike it (other cameras, "
            "lighting, subjects) may do worse.",
            "- See `quantization_report.md` for per-class numbers and the images where fp32 and "
            "int8 disagree.",
            "",
        ]
    )
