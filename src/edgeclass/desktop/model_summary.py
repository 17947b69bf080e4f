"""About this model, in words for users: how often it is right first, then the details.

Figures come from the folder's quantization_report.json read through `QuantizationReport`
(edgeclass.runtime.model_report); nothing here shows a path beyond the folder's own name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edgeclass.runtime.model_folder import ModelFolder
from edgeclass.runtime.model_report import QuantizationReport, ReportError, Scores

NO_REPORT = (
    "How often this model is right is not known: its folder has no accuracy report "
    "(quantization_report.json, written when a model is exported with edgeclass quantize)."
)


@dataclass(frozen=True)
class ModelSummary:
    headline: str  # one sentence: right on N of M held-out photos
    rows: tuple[tuple[str, str], ...]  # (name, value) details, in reading order
    per_class: tuple[tuple[str, str], ...]  # (label, "437 of 500 right (87.4%)")
    measured: str = ""  # where the headline's figure was measured, when the report says


def measured_on(report: QuantizationReport, is_int8: bool) -> str:
    """Where the accuracy was measured: int8 answers differ a little between CPUs (their int8
    instructions round differently), so this computer's Evaluation may count a photo or two
    differently on the same photos."""
    cpu = report.machine.cpu
    # Reports from edgeclass versions that record it name the int8 instructions too.
    isa = str(getattr(cpu, "int8_isa", "") or "")
    where = f"{cpu.model} ({isa})" if isa and isa != "unknown" else cpu.model
    text = f"Measured on {where} when the model was made."
    if is_int8:
        text += (
            " On another kind of CPU the 8-bit model can answer a photo or two differently, "
            "so an evaluation on this computer may differ slightly."
        )
    return text


def plain_text(message: str) -> str:
    """An error message as a user reads it: `code` marks become quotes (no raw Markdown)."""
    return re.sub(r"`([^`]*)`", r"“\1”", message)


def read_summary_report(folder: ModelFolder) -> QuantizationReport | str:
    """The folder's report, or why there is none (a plain sentence)."""
    if folder.quantization_report is None:
        return NO_REPORT
    try:
        return QuantizationReport.from_dict(folder.quantization_report)
    except ReportError as error:
        return f"This model's accuracy report cannot be read: {plain_text(str(error))}"


def right_and_total(scores: Scores) -> tuple[int, int]:
    right = sum(score.correct for score in scores.per_class.values())
    total = sum(score.images for score in scores.per_class.values())
    return right, total


def how_often_wrong(right: int, total: int) -> str:
    wrong = total - right
    if wrong == 0:
        return "never wrong on them"
    if 2 * wrong > total:
        return f"wrong on {100 * wrong / total:.0f}% of them"
    return f"wrong on about 1 in {round(total / wrong):,}"


def accuracy_headline(report: QuantizationReport, shipped: Scores) -> str:
    right, total = right_and_total(shipped)
    if total == 0:
        return "This model's accuracy report holds no test photos."
    return (
        f"Right on {right:,} of {total:,} held-out photos ({100 * right / total:.1f}%), "
        f"{how_often_wrong(right, total)}."
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _input_size(folder: ModelFolder) -> str:
    size = getattr(folder.preprocessor, "output_size", None)  # (height, width)
    if isinstance(size, tuple | list) and len(size) == 2:
        return f"{size[1]} × {size[0]} pixels"
    return "follows the photo"


def _per_class(scores: Scores) -> tuple[tuple[str, str], ...]:
    rows = []
    for label, score in scores.per_class.items():
        if score.images:
            share = f"{100 * score.correct / score.images:.1f}%"
            rows.append((label, f"{score.correct:,} of {score.images:,} right ({share})"))
    return tuple(rows)


def summarise(folder: ModelFolder) -> ModelSummary:
    size = folder.onnx_path.stat().st_size
    rows = [
        ("Name", folder.path.name),
        ("Labels", ", ".join(folder.labels)),
        ("Input size", _input_size(folder)),
    ]
    report = read_summary_report(folder)
    if isinstance(report, str):
        rows.append(("Size", _megabytes(size)))
        return ModelSummary(report, tuple(rows), ())
    is_int8 = size != report.sizes_bytes.fp32
    shipped = report.accuracy.int8 if is_int8 else report.accuracy.fp32
    if is_int8:
        fp32 = 100 * report.accuracy.fp32.accuracy
        precision = (
            f"8-bit integers (int8), {report.sizes_bytes.fp32 / max(size, 1):.1f}× smaller "
            f"than the 32-bit float model, which was right on {fp32:.1f}%"
        )
    else:
        precision = "32-bit floating point (fp32)"
    rows += [
        ("Numbers", precision),
        ("Size", _megabytes(size)),
        ("Tested on", f"{report.eval_set.images:,} photos it never learned from"),
    ]
    return ModelSummary(
        accuracy_headline(report, shipped),
        tuple(rows),
        _per_class(shipped),
        measured_on(report, is_int8),
    )
