"""quantization_report.json's schema: `QuantizationReport` and its parts, read and written.

Every reader goes through `QuantizationReport.from_dict` (or `read_report`): `edgeclass report`,
the model card, the Markdown page, the desktop's About this model. It reads every schema
edgeclass has written (schema 1 held absolute paths; they are shortened to names on reading)
and ignores keys it does not know.

Standard library and edgeclass.errors only, so the runtime, the desktop and the bundle (which
leaves edgeclass.quantize out) can read reports. Building one is edgeclass.quantize.report's job.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from edgeclass.errors import ModelError
from edgeclass.schema import dataclass_from, from_schema, read_artifact

REPORT_JSON = "quantization_report.json"
REPORT_MD = "quantization_report.md"
SCHEMA_VERSION = 2  # 2: names instead of absolute paths (model, data sets), stage timings
PREPROCESS = "onnxruntime.quantization.shape_inference.quant_pre_process (skip_symbolic_shape=True)"


class ReportError(ModelError):
    """A quantization_report.json that is missing, not JSON, or not a report edgeclass wrote."""


def display_name(path: str | PurePath) -> str:
    """A folder's last two path parts (`catsdogs/test`): enough to recognise it, and never a
    build-machine path in a shipped file."""
    pure = PurePath(path)
    return "/".join(part for part in pure.parts[-2:] if part != pure.anchor) or str(path)


@dataclass(frozen=True, kw_only=True)
class ModelInfo:
    name: str  # display_name of the trained model folder
    model_type: str | None = None
    labels: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ImageSet:
    name: str  # display_name of the folder
    images: int


@dataclass(frozen=True, kw_only=True)
class ExportInfo:
    tool: str = "optimum.exporters.onnx.onnx_export_from_model"
    graph_rewrites: tuple[str, ...] = ()
    task: str = "image-classification"
    opset: int
    dynamic_batch: bool = True
    parity_max_abs_diff: float
    parity_images: int


@dataclass(frozen=True, kw_only=True)
class CalibrationTrial:
    method: str
    int8_accuracy: float
    mean_abs_logit_error: float
    agreement: float


@dataclass(frozen=True, kw_only=True)
class QuantizationInfo:
    settings: dict[str, Any]  # QuantSettings.to_dict(), verbatim
    logit_correction_offset: tuple[float, ...] | None = None
    calibration_trials: tuple[CalibrationTrial, ...] = ()
    preprocess: str = PREPROCESS


@dataclass(frozen=True, kw_only=True)
class GateAttempt:
    label: str = ""
    float_layers: int = 0
    float_nodes: tuple[str, ...] = ()
    int8_accuracy: float
    drop_points: float
    agreement: float | None = None


@dataclass(frozen=True, kw_only=True)
class GateInfo:
    max_drop_points: float
    verdict: str = "passed"
    min_agreement: float | None = None
    kept: str | None = None
    attempts: tuple[GateAttempt, ...] = ()
    sensitivity_noise_added: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, kw_only=True)
class ClassScore:
    images: int
    correct: int
    accuracy: float  # nan when the class has no images


@dataclass(frozen=True, kw_only=True)
class Scores:
    accuracy: float  # 0..1
    per_class: dict[str, ClassScore]


@dataclass(frozen=True, kw_only=True)
class Accuracy:
    fp32: Scores
    int8: Scores
    drop_points: float


@dataclass(frozen=True, kw_only=True)
class Disagreement:
    path: str  # relative to the eval set's folder
    truth: str
    fp32: str
    int8: str


@dataclass(frozen=True, kw_only=True)
class Agreement:
    rate: float
    disagreements: tuple[Disagreement, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LogitError:
    max_abs: float
    mean_abs: float


@dataclass(frozen=True, kw_only=True)
class Timing:
    batch: int
    p50_ms: float
    p95_ms: float
    images_per_s: float
    runs: int


@dataclass(frozen=True, kw_only=True)
class Latency:
    threads: int
    fp32: dict[str, Timing]  # "batch_1", "batch_8"
    int8: dict[str, Timing]
    speedup_batch_1: float
    speedup_batch_n: float

    @property
    def largest_batch(self) -> int:
        return max(timing.batch for timing in self.int8.values())


@dataclass(frozen=True, kw_only=True)
class Sizes:
    fp32: int
    int8: int


@dataclass(frozen=True, kw_only=True)
class FloatNode:
    node: str
    why: str


def int8_isa_of(isa: Mapping[str, bool], machine: str, vnni: bool = False) -> str:
    """The instructions onnxruntime's int8 kernels use on a CPU with these flags (MLAS picks
    them by CPUID, the best first). int8 results differ slightly between them: AVX2's and
    AVX512BW's u8s8 multiply-add (VPMADDUBSW) saturates where VNNI and AMX do not, and the
    float parts of the graph round differently with 512-bit vectors."""
    if machine.lower() in {"aarch64", "arm64"}:
        return "ARM NEON dot product" if vnni else "ARM NEON"
    for flag, name in (
        ("amx_int8", "AMX"),
        ("avx512_vnni", "AVX512-VNNI"),
        ("avx512bw", "AVX512BW"),
        ("avx_vnni", "AVX-VNNI"),
        ("avx2", "AVX2"),
    ):
        if isa.get(flag):
            return name
    return "no AVX2" if isa else "unknown"


@dataclass(frozen=True, kw_only=True)
class Cpu:
    model: str
    machine: str = ""
    logical_cpus: int | None = None
    isa: dict[str, bool] = field(default_factory=dict)
    vnni: bool = False
    # What the int8 figures were measured with (int8_isa_of); derived from `isa` when a report
    # written before it was recorded is read.
    int8_isa: str = ""

    def __post_init__(self) -> None:
        if not self.int8_isa:
            object.__setattr__(self, "int8_isa", int8_isa_of(self.isa, self.machine, self.vnni))


@dataclass(frozen=True, kw_only=True)
class Machine:
    cpu: Cpu


@dataclass(frozen=True, kw_only=True)
class StageTime:
    name: str
    seconds: float


@dataclass(frozen=True, kw_only=True)
class QuantizationReport:
    schema: int = SCHEMA_VERSION
    model: ModelInfo
    calibration_set: ImageSet
    eval_set: ImageSet
    export: ExportInfo
    quantization: QuantizationInfo
    gate: GateInfo
    accuracy: Accuracy
    agreement: Agreement
    logit_error: LogitError
    latency: Latency
    sizes_bytes: Sizes
    float_nodes: tuple[FloatNode, ...] = ()
    quantizable_nodes: tuple[str, ...] = ()
    machine: Machine
    versions: dict[str, str | None] = field(default_factory=dict)
    stages: tuple[StageTime, ...] = ()  # each pipeline stage and its seconds, in order

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: lists for tuples, None for NaN."""
        plain: dict[str, Any] = _json_ready(dataclasses.asdict(self))
        return plain

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuantizationReport:
        """Any schema up to SCHEMA_VERSION; ReportError when `data` is not such a report."""
        return from_schema(
            data, _report_from, what="quantization report", newest=SCHEMA_VERSION, error=ReportError
        )


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _scores_from(data: Mapping[str, Any]) -> Scores:
    per_class = {
        label: ClassScore(
            images=int(item["images"]),
            correct=int(item["correct"]),
            accuracy=_float(item["accuracy"]),
        )
        for label, item in data["per_class"].items()
    }
    return Scores(accuracy=_float(data["accuracy"]), per_class=per_class)


def _named_set(data: Mapping[str, Any], legacy_key: str) -> dict[str, Any]:
    """Schema 1 kept an absolute `path` (`source` for the model); schema 2 keeps a name."""
    values = dict(data)
    if "name" not in values:
        values["name"] = display_name(values[legacy_key])
    return values


def _report_from(data: Mapping[str, Any]) -> QuantizationReport:
    quantization, gate, latency = data["quantization"], data["gate"], data["latency"]
    offset = quantization.get("logit_correction_offset")
    return QuantizationReport(
        schema=SCHEMA_VERSION,
        model=dataclass_from(ModelInfo, _named_set(data["model"], "source")),
        calibration_set=dataclass_from(ImageSet, _named_set(data["calibration_set"], "path")),
        eval_set=dataclass_from(ImageSet, _named_set(data["eval_set"], "path")),
        export=dataclass_from(ExportInfo, data["export"]),
        quantization=QuantizationInfo(
            settings=dict(quantization["settings"]),
            logit_correction_offset=None if offset is None else tuple(map(float, offset)),
            calibration_trials=tuple(
                dataclass_from(CalibrationTrial, t)
                for t in quantization.get("calibration_trials") or ()
            ),
            preprocess=quantization.get("preprocess", PREPROCESS),
        ),
        gate=GateInfo(
            max_drop_points=float(gate["max_drop_points"]),
            verdict=str(gate.get("verdict", "passed")),
            min_agreement=gate.get("min_agreement"),
            kept=gate.get("kept"),
            attempts=tuple(dataclass_from(GateAttempt, a) for a in gate.get("attempts") or ()),
            sensitivity_noise_added=tuple(
                (str(name), float(nsr)) for name, nsr in gate.get("sensitivity_noise_added") or ()
            ),
        ),
        accuracy=Accuracy(
            fp32=_scores_from(data["accuracy"]["fp32"]),
            int8=_scores_from(data["accuracy"]["int8"]),
            drop_points=float(data["accuracy"]["drop_points"]),
        ),
        agreement=Agreement(
            rate=float(data["agreement"]["rate"]),
            disagreements=tuple(
                dataclass_from(Disagreement, d)
                for d in data["agreement"].get("disagreements") or ()
            ),
        ),
        logit_error=dataclass_from(LogitError, data["logit_error"]),
        latency=Latency(
            threads=int(latency["threads"]),
            fp32={key: dataclass_from(Timing, t) for key, t in latency["fp32"].items()},
            int8={key: dataclass_from(Timing, t) for key, t in latency["int8"].items()},
            speedup_batch_1=float(latency["speedup_batch_1"]),
            speedup_batch_n=float(latency["speedup_batch_n"]),
        ),
        sizes_bytes=dataclass_from(Sizes, data["sizes_bytes"]),
        float_nodes=tuple(
            dataclass_from(FloatNode, item) for item in data.get("float_nodes") or ()
        ),
        quantizable_nodes=tuple(data.get("quantizable_nodes") or ()),
        machine=Machine(cpu=dataclass_from(Cpu, data["machine"]["cpu"])),
        versions=dict(data.get("versions") or {}),
        stages=tuple(dataclass_from(StageTime, stage) for stage in data.get("stages") or ()),
    )


def read_report(folder: Path) -> QuantizationReport:
    """The report of a model folder written by `edgeclass quantize`."""
    return read_artifact(
        folder,
        REPORT_JSON,
        QuantizationReport.from_dict,
        ReportError,
        missing_hint=" (write one with `edgeclass quantize`)",
    )
