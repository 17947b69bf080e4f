"""`edgeclass quantize` end to end: the stages (stages.py) in order, each timed, then the report,
the model card and the folder, written atomically; then MLflow."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edgeclass.atomic_files import replace_folder, write_text_atomic
from edgeclass.errors import EdgeclassError
from edgeclass.quantize import stages
from edgeclass.quantize.card import render_card
from edgeclass.quantize.gate import GateResult
from edgeclass.quantize.options import QuantizeOptions
from edgeclass.quantize.report import (
    FloatNode,
    ImageSet,
    ModelInfo,
    QuantizationInfo,
    QuantizationReport,
    Sizes,
    build_report,
    display_name,
    latency_of,
    write_report,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuantizeRequest(QuantizeOptions):
    """What to quantize and where to write it; the settings and their defaults are
    QuantizeOptions'."""

    model_dir: Path
    calib_dir: Path
    eval_dir: Path
    out_dir: Path
    overwrite: bool = False
    log_mlflow: bool = True


@dataclass(frozen=True)
class QuantizeOutcome:
    out_dir: Path
    quantization_report: QuantizationReport

    @property
    def report(self) -> dict[str, Any]:
        """The report as quantization_report.json holds it."""
        return self.quantization_report.to_dict()


def run_quantize(
    request: QuantizeRequest, progress: Callable[[str], None] = log.info
) -> QuantizeOutcome:
    model_dir = Path(request.model_dir)
    clock = stages.StageClock(progress)
    with clock.stage("load sets"):
        sets = stages.load_sets(
            model_dir, Path(request.calib_dir), Path(request.eval_dir), request.calib_size, progress
        )
    out_dir = Path(request.out_dir).resolve()
    _refuse_existing(out_dir, request.overwrite)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent) as tmp:
        work = Path(tmp)
        with clock.stage("export and check"):
            exported = stages.export_and_check(model_dir, sets, request, work, progress)
        with clock.stage("calibrate"):
            calibrated = stages.calibrate(sets, exported, request, work, progress)
        with clock.stage("gate"):
            gated, candidates = stages.gate(sets, exported, calibrated, request, work, progress)
        final = work / "final"
        with clock.stage("package"):
            int8_path = stages.package(model_dir, exported, gated.int8_path, final)
        with clock.stage("measure"):
            timings = stages.measure(
                exported.fp32_path, int8_path, sets.eval_tensors.shape[1:], request, progress
            )
        report = _report(
            request, sets, exported, calibrated, gated, candidates, int8_path, timings, clock
        )
        write_report(final, report)
        write_text_atomic(final / "MODEL_CARD.md", render_card(model_dir, report))
        _refuse_existing(out_dir, request.overwrite)  # it may have appeared meanwhile
        replace_folder(final, out_dir)
    if request.log_mlflow:
        _log_to_mlflow(model_dir, out_dir, report, progress)
    return QuantizeOutcome(out_dir, report)


def _refuse_existing(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not overwrite:
        raise EdgeclassError(f"{out_dir} already exists; pass --overwrite to replace it")


def _report(
    request: QuantizeRequest,
    sets: stages.LoadedSets,
    exported: stages.Exported,
    calibrated: stages.Calibrated,
    gated: GateResult,
    candidates: list[str],
    int8_path: Path,
    timings: dict[str, dict[str, dict[str, float]]],
    clock: stages.StageClock,
) -> QuantizationReport:
    """The report of this run; every path in it is a display_name, never a full path."""
    from edgeclass.quantize import sysinfo
    from edgeclass.quantize.logit_correction import read_correction

    eval_images = sets.eval_images
    float_nodes = [
        FloatNode(node=n, why="named with --exclude-nodes") for n in request.exclude_nodes
    ]
    float_nodes += [FloatNode(node=n, why=why) for n, why in gated.choice.why.items()]
    settings = replace(
        calibrated.settings,
        exclude_nodes=(*calibrated.settings.exclude_nodes, *gated.float_nodes),
    )
    offset = read_correction(gated.int8_path)
    return build_report(
        model=ModelInfo(
            name=display_name(Path(request.model_dir).resolve()),
            model_type=sets.config.get("model_type"),
            labels=sets.labels,
        ),
        calibration_set=ImageSet(
            name=display_name(sets.calib_images.root.resolve()), images=len(sets.calib_images)
        ),
        eval_set=ImageSet(name=display_name(eval_images.root.resolve()), images=len(eval_images)),
        eval_paths=[str(path.relative_to(eval_images.root)) for path in eval_images.paths],
        targets=eval_images.targets,
        fp32_logits=exported.fp32_logits,
        int8_logits=gated.int8_logits,
        fp32_scores=exported.fp32_scores,
        int8_scores=gated.int8_scores,
        drop_points=gated.drop_points,
        export=exported.info,
        quantization=QuantizationInfo(
            settings=settings.to_dict(),
            logit_correction_offset=None if offset is None else tuple(offset),
            calibration_trials=tuple(calibrated.trials),
        ),
        gate=gated.info(request.max_drop, request.min_agreement),
        latency=latency_of(timings, request.threads, request.bench_batch),
        sizes=Sizes(fp32=exported.fp32_path.stat().st_size, int8=int8_path.stat().st_size),
        float_nodes=float_nodes,
        quantizable_nodes=candidates,
        cpu=calibrated.cpu,
        versions=sysinfo.tool_versions(),
        stages=clock.times,
    )


def _log_to_mlflow(
    model_dir: Path, out_dir: Path, report: QuantizationReport, progress: Callable[[str], None]
) -> None:
    """Into the training run named by the model's training_summary.json, when it names one."""
    from edgeclass.quantize.tracking import log_to_mlflow, mlflow_target

    target = mlflow_target(model_dir)
    if not target:
        return
    from mlflow.exceptions import MlflowException

    progress(f"logging the report to MLflow run {target[0]}")
    try:
        log_to_mlflow(*target, report, out_dir)
    except (MlflowException, OSError) as error:
        # The folder is written and valid; a tracking server that is gone must not undo it.
        progress(f"warning: could not log to MLflow ({target[1]}): {error}")
