"""The stages of `edgeclass quantize`, in order: load sets, export and check, calibrate, gate,
package, measure. Each takes what the ones before it produced and returns its own result; the
pipeline times each one with a `StageClock`."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from edgeclass.errors import ModelError
from edgeclass.quantize.data import LabelledImages
from edgeclass.quantize.gate import FloatChoice, GateResult
from edgeclass.quantize.graph import GraphIndex
from edgeclass.quantize.options import QuantizeOptions
from edgeclass.quantize.quantize import CalibrationChoice, QuantSettings
from edgeclass.quantize.report import CalibrationTrial, ExportInfo, Scores, StageTime
from edgeclass.quantize.sysinfo import CpuInfo
from edgeclass.training_summary import SUMMARY_FILE

Progress = Callable[[str], None]

PARITY_IMAGES = 32
PARITY_LIMIT = 1e-3  # fail the export above this; <= 1e-4 is what a healthy export shows
SENSITIVITY_IMAGES = 16
RUNTIME_FILES = ("config.json", "preprocessor_config.json")


class StageClock:
    """Times each stage, says when it ends, and keeps the times for the report."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.times: list[StageTime] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.times.append(StageTime(name=name, seconds=round(seconds, 3)))
        self.progress(f"stage {name}: {seconds:.1f} s")


@dataclass(frozen=True)
class LoadedSets:
    config: dict[str, Any]
    labels: tuple[str, ...]
    calib_tensors: np.ndarray
    calib_images: LabelledImages
    eval_tensors: np.ndarray
    eval_images: LabelledImages


def load_sets(
    model_dir: Path, calib_dir: Path, eval_dir: Path, calib_size: int, progress: Progress
) -> LoadedSets:
    """The trained folder's labels, and the calibration and eval images as runtime tensors."""
    from edgeclass.quantize import calibrate, data, export
    from edgeclass.runtime.model_config import labels_from_config, load_preprocessor

    config = export.read_trained_folder(model_dir)
    labels = labels_from_config(config, model_dir / "config.json")
    preprocessor = load_preprocessor(model_dir / "preprocessor_config.json")
    progress(f"reading calibration images from {calib_dir}")
    per_class = max(1, calib_size // len(labels))
    calib_images = data.scan_labelled_folder(calib_dir, labels, per_class_limit=per_class)
    calib_tensors, calib_images = data.load_tensors(calib_images, preprocessor)
    calibrate.check_calibration_set(calib_images, labels)
    progress(f"reading evaluation images from {eval_dir}")
    eval_images = data.scan_labelled_folder(eval_dir, labels)
    eval_tensors, eval_images = data.load_tensors(eval_images, preprocessor)
    return LoadedSets(config, labels, calib_tensors, calib_images, eval_tensors, eval_images)


@dataclass(frozen=True)
class Exported:
    fp32_path: Path
    prepared_path: Path  # after quant_pre_process: what the quantizer reads
    graph: GraphIndex  # of prepared_path
    info: ExportInfo
    fp32_logits: np.ndarray  # on the eval set
    fp32_scores: Scores


def export_and_check(
    model_dir: Path,
    sets: LoadedSets,
    options: QuantizeOptions,
    work: Path,
    progress: Progress,
) -> Exported:
    """ONNX export, its parity with PyTorch, quant_pre_process, and fp32 on the eval set."""
    from edgeclass.quantize import export
    from edgeclass.quantize.evaluate import score
    from edgeclass.quantize.quantize import preprocess_for_quantization
    from edgeclass.runtime.session import logits_of

    progress(f"exporting {model_dir} to ONNX (opset {options.opset})")
    fp32_path = export.export_onnx(model_dir, work / "export", options.opset)
    parity_tensors = sets.eval_tensors[:PARITY_IMAGES]
    parity = export.export_parity(model_dir, fp32_path, parity_tensors)
    progress(f"export parity: max |logit(PyTorch) - logit(ONNX)| = {parity:.2e}")
    if not parity <= PARITY_LIMIT:
        raise ModelError(
            f"the ONNX export does not match PyTorch: max logit difference {parity:.2e} "
            f"> {PARITY_LIMIT:g} on {len(parity_tensors)} images"
        )
    prepared = preprocess_for_quantization(fp32_path, work / "prepared.onnx")
    graph = GraphIndex.load(prepared)
    graph.check_node_names(options.exclude_nodes)
    progress("evaluating fp32")
    fp32_logits = logits_of(fp32_path, sets.eval_tensors)
    info = ExportInfo(
        graph_rewrites=tuple(export.applied_rewrites(work / "export")),
        opset=options.opset,
        parity_max_abs_diff=parity,
        parity_images=len(parity_tensors),
    )
    fp32_scores = score(fp32_logits, sets.eval_images.targets, sets.labels)
    return Exported(fp32_path, prepared, graph, info, fp32_logits, fp32_scores)


# quantize(settings, out_path, calibration cache) -> int8 model, logit correction applied
Quantizer = Callable[[QuantSettings, Path, Path], Path]


@dataclass(frozen=True)
class Calibrated:
    settings: QuantSettings  # the calibration method chosen, no gate exclusions yet
    trials: list[CalibrationTrial]  # one per method with --calibration-method auto
    cpu: CpuInfo
    quantize: Quantizer


def calibrate(
    sets: LoadedSets, exported: Exported, options: QuantizeOptions, work: Path, progress: Progress
) -> Calibrated:
    """Settings for this CPU, the logit correction's reference, and the calibration method."""
    from edgeclass.quantize import quantize as q
    from edgeclass.quantize import sysinfo
    from edgeclass.quantize.calibrate import choose_calibration
    from edgeclass.quantize.logit_correction import apply_correction, mean_logit_offset
    from edgeclass.runtime.session import logits_of

    cpu = sysinfo.cpu_info()
    base = q.settings_for_cpu(
        cpu["vnni"],
        cpu["machine"],
        mode=options.mode,
        exclude_nodes=options.exclude_nodes,
        logit_correction=options.logit_correction,
    )
    if options.reduce_range is not None:
        base = replace(base, reduce_range=options.reduce_range)
    input_name = exported.graph.input_names[0]
    fp32_calib_logits = (
        logits_of(exported.fp32_path, sets.calib_tensors) if base.logit_correction else None
    )

    def quantize_corrected(settings: QuantSettings, out_path: Path, cache: Path) -> Path:
        path = q.quantize_model(
            exported.prepared_path,
            out_path,
            sets.calib_tensors,
            input_name,
            settings,
            cache_path=cache,
            graph=exported.graph,
        )
        if fp32_calib_logits is not None and settings.logit_correction:
            int8_calib_logits = logits_of(path, sets.calib_tensors)
            apply_correction(path, mean_logit_offset(int8_calib_logits, fp32_calib_logits))
        return path

    trials: list[CalibrationTrial] = []
    if options.mode == "static" and options.calibration == "auto":
        base, trials = choose_calibration(
            base,
            quantize_corrected,
            work,
            sets.eval_tensors,
            exported.fp32_logits,
            sets.eval_images.targets,
            sets.labels,
            progress,
        )
    elif options.mode == "static":
        base = replace(base, calibration=CalibrationChoice(options.calibration))
    return Calibrated(base, trials, cpu, quantize_corrected)


def gate(
    sets: LoadedSets,
    exported: Exported,
    calibrated: Calibrated,
    options: QuantizeOptions,
    work: Path,
    progress: Progress,
) -> tuple[GateResult, list[str]]:
    """The accuracy gate; returns its result and the names --exclude-nodes accepts."""
    from edgeclass.quantize.gate import float_choices, run_gate
    from edgeclass.quantize.sensitivity import layer_sensitivity

    base = calibrated.settings
    cache = work / f"calibration-{base.calibration.value}.json"

    def quantize_with(extra_float: list[str], out_path: Path) -> Path:
        settings = replace(base, exclude_nodes=(*base.exclude_nodes, *extra_float))
        return calibrated.quantize(settings, out_path, cache)

    candidates = [n for n in exported.graph.weighted_nodes() if n not in options.exclude_nodes]

    def propose(int8_path: Path) -> tuple[list[FloatChoice], list[tuple[str, float]]]:
        progress("int8 is not close enough to fp32: trying parts of the network in float")
        ranking = layer_sensitivity(
            exported.prepared_path,
            int8_path,
            sets.eval_tensors[:SENSITIVITY_IMAGES],
            candidates,
        )
        choices = float_choices(
            exported.graph, candidates, ranking, options.max_float_nodes, options.exclude_nodes
        )
        return choices, ranking

    progress(f"quantizing ({base.mode}, {base.calibration.value} calibration) and gating")
    result = run_gate(
        quantize=quantize_with,
        propose=propose,
        eval_tensors=sets.eval_tensors,
        targets=sets.eval_images.targets,
        labels=sets.labels,
        fp32_logits=exported.fp32_logits,
        fp32_scores=exported.fp32_scores,
        max_drop=options.max_drop,
        min_agreement=options.min_agreement,
        workdir=work,
        progress=progress,
    )
    return result, candidates


def package(model_dir: Path, exported: Exported, int8_path: Path, final: Path) -> Path:
    """The runtime folder's files: the compacted int8 model and the configs. Returns the
    model's path."""
    from edgeclass.quantize.quantize import compact_for_shipping

    final.mkdir()
    model_path = compact_for_shipping(int8_path, final / "model.onnx")
    for name in RUNTIME_FILES:
        shutil.copy2(exported.fp32_path.parent / name, final / name)
    if (model_dir / SUMMARY_FILE).is_file():
        shutil.copy2(model_dir / SUMMARY_FILE, final / SUMMARY_FILE)
    return model_path


def measure(
    fp32_path: Path,
    int8_path: Path,
    image_shape: tuple[int, ...],
    options: QuantizeOptions,
    progress: Progress,
) -> dict[str, dict[str, dict[str, float]]]:
    """fp32 and int8 latency, interleaved in one run."""
    from edgeclass.quantize.latency import compare_onnx

    progress(f"timing fp32 and int8 interleaved ({options.threads} threads)")
    return compare_onnx(
        {"fp32": str(fp32_path), "int8": str(int8_path)},
        (image_shape[0], image_shape[1], image_shape[2]),
        threads=options.threads,
        batch_sizes=(1, options.bench_batch),
        repeats=options.bench_repeats,
    )
