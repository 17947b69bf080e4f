"""`edgeclass quantize` end to end: export, calibrate, quantize, gate, measure, write the folder."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from edgeclass.errors import EdgeclassError, ModelError
from edgeclass.quantize.gate import FloatChoice
from edgeclass.quantize.logit_correction import (
    apply_correction,
    mean_logit_offset,
    read_correction,
)
from edgeclass.quantize.quantize import CalibrationChoice, QuantSettings

log = logging.getLogger(__name__)

PARITY_IMAGES = 32
PARITY_LIMIT = 1e-3  # fail the export above this; <= 1e-4 is what a healthy export shows
SENSITIVITY_IMAGES = 16
RUNTIME_FILES = ("config.json", "preprocessor_config.json")


@dataclass(frozen=True)
class QuantizeRequest:
    model_dir: Path
    calib_dir: Path
    eval_dir: Path
    out_dir: Path
    max_drop: float = 0.5
    calibration: str = "auto"  # a CalibrationChoice value, or "auto" (measure all three)
    mode: str = "static"
    exclude_nodes: tuple[str, ...] = ()
    max_float_nodes: int = 16  # most layers with weights the gate may keep in float
    min_agreement: float = 0.98  # top-1 agreement with fp32 the gate searches for
    calib_size: int = 300
    opset: int = 18
    threads: int = 2
    bench_batch: int = 8
    bench_repeats: int = 20
    reduce_range: bool | None = None  # None: decide from this CPU's ISA
    logit_correction: bool = True
    overwrite: bool = False
    log_mlflow: bool = True


@dataclass(frozen=True)
class QuantizeOutcome:
    out_dir: Path
    report: dict


def _replace_folder(staged: Path, target: Path, overwrite: bool) -> None:
    """Rename a fully written folder into place; an old one is swapped out, then removed."""
    if target.exists():
        if not overwrite:
            raise EdgeclassError(f"{target} already exists; pass --overwrite to replace it")
        backup = target.with_name(f".{target.name}.old-{staged.name}")
        target.rename(backup)
        staged.rename(target)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        staged.rename(target)


def run_quantize(
    request: QuantizeRequest, progress: Callable[[str], None] = log.info
) -> QuantizeOutcome:
    from edgeclass.quantize import calibrate, data, export, report, sysinfo
    from edgeclass.quantize import quantize as q
    from edgeclass.quantize.evaluate import logits_of, score
    from edgeclass.quantize.gate import run_gate
    from edgeclass.quantize.sensitivity import layer_sensitivity
    from edgeclass.runtime import Preprocessor

    model_dir = Path(request.model_dir)
    config = export.read_trained_folder(model_dir)
    labels = export.labels_of(config)
    preprocessor = Preprocessor.from_file(model_dir / "preprocessor_config.json")

    progress(f"reading calibration images from {request.calib_dir}")
    per_class = max(1, request.calib_size // len(labels))
    calib_images = data.scan_labelled_folder(request.calib_dir, labels, per_class_limit=per_class)
    calib_tensors, calib_images = data.load_tensors(calib_images, preprocessor)
    calibrate.check_calibration_set(calib_images, labels)
    progress(f"reading evaluation images from {request.eval_dir}")
    eval_images = data.scan_labelled_folder(request.eval_dir, labels)
    eval_tensors, eval_images = data.load_tensors(eval_images, preprocessor)

    out_dir = Path(request.out_dir).resolve()
    if out_dir.exists() and not request.overwrite:
        raise EdgeclassError(f"{out_dir} already exists; pass --overwrite to replace it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent) as tmp:
        work = Path(tmp)
        progress(f"exporting {model_dir} to ONNX (opset {request.opset})")
        fp32_path = export.export_onnx(model_dir, work / "export", request.opset)
        parity_tensors = eval_tensors[:PARITY_IMAGES]
        parity = export.export_parity(model_dir, fp32_path, parity_tensors)
        progress(f"export parity: max |logit(PyTorch) - logit(ONNX)| = {parity:.2e}")
        if not parity <= PARITY_LIMIT:
            raise ModelError(
                f"the ONNX export does not match PyTorch: max logit difference {parity:.2e} "
                f"> {PARITY_LIMIT:g} on {len(parity_tensors)} images"
            )
        prepared = q.preprocess_for_quantization(fp32_path, work / "prepared.onnx")
        q.check_node_names(prepared, request.exclude_nodes)
        input_name = "pixel_values"
        progress("evaluating fp32")
        fp32_logits = logits_of(fp32_path, eval_tensors)
        fp32_scores = score(fp32_logits, eval_images.targets, labels)

        cpu = sysinfo.cpu_info()
        base = q.settings_for_cpu(
            cpu["vnni"],
            cpu["machine"],
            mode=request.mode,
            exclude_nodes=request.exclude_nodes,
            logit_correction=request.logit_correction,
        )
        if request.reduce_range is not None:
            base = replace(base, reduce_range=request.reduce_range)

        fp32_calib_logits = logits_of(fp32_path, calib_tensors) if base.logit_correction else None

        def quantize_corrected(settings: QuantSettings, out_path: Path, cache: Path) -> Path:
            path = q.quantize_model(
                prepared, out_path, calib_tensors, input_name, settings, cache_path=cache
            )
            if settings.logit_correction:
                int8_calib_logits = logits_of(path, calib_tensors)
                apply_correction(path, mean_logit_offset(int8_calib_logits, fp32_calib_logits))
            return path

        trials: list[dict] = []
        if request.mode == "static" and request.calibration == "auto":
            base = _choose_calibration(
                base,
                quantize_corrected,
                work,
                eval_tensors,
                fp32_logits,
                eval_images.targets,
                labels,
                trials,
                progress,
            )
        elif request.mode == "static":
            base = replace(base, calibration=CalibrationChoice(request.calibration))
        cache = work / f"calibration-{base.calibration.value}.json"

        def quantize_with(extra_float: list[str], out_path: Path) -> Path:
            settings = replace(base, exclude_nodes=(*base.exclude_nodes, *extra_float))
            return quantize_corrected(settings, out_path, cache)

        candidates = [n for n in q.weighted_nodes(prepared) if n not in request.exclude_nodes]

        def propose(int8_path: Path):
            progress("int8 is not close enough to fp32: trying parts of the network in float")
            ranking = layer_sensitivity(
                prepared, int8_path, eval_tensors[:SENSITIVITY_IMAGES], candidates
            )
            choices = _float_choices(
                prepared, candidates, ranking, request.max_float_nodes, request.exclude_nodes
            )
            return choices, ranking

        progress(f"quantizing ({base.mode}, {base.calibration.value} calibration) and gating")
        gate = run_gate(
            quantize=quantize_with,
            propose=propose,
            eval_tensors=eval_tensors,
            targets=eval_images.targets,
            labels=labels,
            fp32_logits=fp32_logits,
            fp32_scores=fp32_scores,
            max_drop=request.max_drop,
            min_agreement=request.min_agreement,
            workdir=work,
            progress=progress,
        )

        final = work / "final"
        final.mkdir()
        q.compact_for_shipping(gate.int8_path, final / "model.onnx")
        for name in RUNTIME_FILES:
            shutil.copy2(fp32_path.parent / name, final / name)
        if (model_dir / "training_summary.json").is_file():
            shutil.copy2(model_dir / "training_summary.json", final / "training_summary.json")

        progress(f"timing fp32 and int8 interleaved ({request.threads} threads)")
        from edgeclass.quantize.latency import compare_onnx

        timings = compare_onnx(
            {"fp32": str(fp32_path), "int8": str(final / "model.onnx")},
            tuple(eval_tensors.shape[1:]),
            threads=request.threads,
            batch_sizes=(1, request.bench_batch),
            repeats=request.bench_repeats,
        )
        float_nodes = [
            {"node": name, "why": "named with --exclude-nodes"} for name in request.exclude_nodes
        ]
        float_nodes += [{"node": name, "why": why} for name, why in gate.choice.why.items()]
        result = build_report(
            request=request,
            config=config,
            labels=labels,
            calib_images=calib_images,
            eval_images=eval_images,
            fp32_logits=fp32_logits,
            int8_logits=gate.int8_logits,
            fp32_scores=fp32_scores,
            gate=gate,
            parity=parity,
            parity_images=len(parity_tensors),
            rewrites=export.applied_rewrites(work / "export"),
            settings=replace(base, exclude_nodes=(*base.exclude_nodes, *gate.float_nodes)),
            trials=trials,
            timings=timings,
            sizes={"fp32": fp32_path.stat().st_size, "int8": (final / "model.onnx").stat().st_size},
            float_nodes=float_nodes,
            quantizable_nodes=candidates,
            cpu=cpu,
            versions=sysinfo.tool_versions(),
        )
        report.write_report(final, result)
        from edgeclass.quantize.card import render_card

        report.write_text_atomic(final / "MODEL_CARD.md", render_card(model_dir, result))
        _replace_folder(final, out_dir, request.overwrite)

    target = report.mlflow_target(model_dir) if request.log_mlflow else None
    if target:
        from mlflow.exceptions import MlflowException

        progress(f"logging the report to MLflow run {target[0]}")
        try:
            report.log_to_mlflow(*target, result, out_dir)
        except (MlflowException, OSError) as error:
            # The folder is written and valid; a tracking server that is gone must not undo it.
            progress(f"warning: could not log to MLflow ({target[1]}): {error}")
    return QuantizeOutcome(out_dir, result)


def _float_choices(
    prepared: Path,
    candidates: Sequence[str],
    ranking: Sequence[tuple[str, float]],
    max_layers: int,
    already_float: Sequence[str],
) -> list[FloatChoice]:
    """The float sets the gate tries after all-int8, in order: for k = 1, 2, 4, ...: the k most
    sensitive layers (each with its bias and activation), then the front of the network up to
    its k-th layer with weights. Sets equal to one tried before are skipped."""
    from edgeclass.quantize import quantize as q
    from edgeclass.quantize.gate import exclusion_steps

    regions = q.float_regions(prepared, candidates)
    noise = dict(ranking)
    choices, seen = [], set()

    def add(choice: FloatChoice) -> None:
        key = frozenset(choice.why)
        if key and key not in seen:
            seen.add(key)
            choices.append(choice)

    for k in exclusion_steps(min(max_layers, len(candidates))):
        why: dict[str, str] = {}
        for layer, _ in ranking[:k]:
            why[layer] = (
                f"accuracy gate: in int8 it adds noise at {noise[layer]:.1%} of the signal's power"
            )
            for node in (n for n in regions[layer][1:] if n not in already_float):
                why.setdefault(node, f"accuracy gate: bias or activation of {layer}")
        add(FloatChoice(f"sensitive {k}", k, why))
        front = f"accuracy gate: front of the network, from the input to weighted layer {k}"
        nodes = q.front_nodes(prepared, candidates, k)
        add(FloatChoice(f"front {k}", k, {n: front for n in nodes if n not in already_float}))
    return choices


def _choose_calibration(
    base: QuantSettings,
    quantize: Callable[[QuantSettings, Path, Path], Path],
    work: Path,
    eval_tensors: np.ndarray,
    fp32_logits: np.ndarray,
    targets: Sequence[int],
    labels: Sequence[str],
    trials: list[dict],
    progress: Callable[[str], None],
) -> QuantSettings:
    """Quantize with each calibration method and keep the one whose logits stay closest to
    fp32 (mean absolute error; ties: higher agreement). Fidelity, not accuracy: picking the
    most accurate on the eval set would select on the very labels the report then scores."""
    from edgeclass.quantize.evaluate import logits_of, score

    best: tuple[float, float] | None = None
    chosen = base
    for method in CalibrationChoice:
        progress(f"calibration trial: {method.value}")
        settings = replace(base, calibration=method)
        path = quantize(
            settings,
            work / f"trial-{method.value}.onnx",
            work / f"calibration-{method.value}.json",
        )
        logits = logits_of(path, eval_tensors)
        accuracy = score(logits, targets, labels).accuracy
        error = float(np.abs(logits - fp32_logits).mean())
        agreement = float((logits.argmax(1) == fp32_logits.argmax(1)).mean())
        trials.append(
            {
                "method": method.value,
                "int8_accuracy": accuracy,
                "mean_abs_logit_error": error,
                "agreement": agreement,
            }
        )
        key = (error, -agreement)
        if best is None or key < best:
            best, chosen = key, settings
    return chosen


def build_report(
    *,
    request: QuantizeRequest,
    config: dict,
    labels: Sequence[str],
    calib_images,
    eval_images,
    fp32_logits: np.ndarray,
    int8_logits: np.ndarray,
    fp32_scores,
    gate,
    parity: float,
    parity_images: int,
    rewrites: list[str],
    settings: QuantSettings,
    trials: list[dict],
    timings: dict,
    sizes: dict,
    float_nodes: list[dict],
    quantizable_nodes: list[str],
    cpu: dict,
    versions: dict,
) -> dict:
    fp32_pred, int8_pred = fp32_logits.argmax(1), int8_logits.argmax(1)
    differ = np.nonzero(fp32_pred != int8_pred)[0]
    root = eval_images.root
    disagreements = [
        {
            "path": str(eval_images.paths[i].relative_to(root)),
            "truth": labels[eval_images.targets[i]],
            "fp32": labels[fp32_pred[i]],
            "int8": labels[int8_pred[i]],
        }
        for i in differ
    ]
    error = np.abs(fp32_logits - int8_logits)
    fp32_b1 = timings["fp32"]["batch_1"]["p50_ms"]
    int8_b1 = timings["int8"]["batch_1"]["p50_ms"]
    return {
        "schema": 1,
        "model": {
            "source": str(Path(request.model_dir).resolve()),
            "model_type": config.get("model_type"),
            "labels": list(labels),
        },
        "calibration_set": {"path": str(calib_images.root), "images": len(calib_images)},
        "eval_set": {"path": str(root), "images": len(eval_images)},
        "export": {
            "tool": "optimum.exporters.onnx.onnx_export_from_model",
            "graph_rewrites": rewrites,
            "task": "image-classification",
            "opset": request.opset,
            "dynamic_batch": True,
            "parity_max_abs_diff": parity,
            "parity_images": parity_images,
        },
        "quantization": {
            "settings": settings.to_dict(),
            "logit_correction_offset": read_correction(gate.int8_path),
            "calibration_trials": trials,
            "preprocess": "onnxruntime.quantization.shape_inference.quant_pre_process "
            "(skip_symbolic_shape=True)",
        },
        "gate": {
            "max_drop_points": request.max_drop,
            "verdict": "passed",
            "min_agreement": request.min_agreement,
            "kept": gate.choice.label,
            "attempts": gate.attempts,
            "sensitivity_noise_added": [[name, nsr] for name, nsr in gate.sensitivity],
        },
        "accuracy": {
            "fp32": fp32_scores.to_dict(),
            "int8": gate.int8_scores.to_dict(),
            "drop_points": gate.drop_points,
        },
        "agreement": {
            "rate": float((fp32_pred == int8_pred).mean()),
            "disagreements": disagreements,
        },
        "logit_error": {
            "max_abs": float(error.max()),
            "mean_abs": float(error.mean()),
        },
        "latency": {
            "threads": request.threads,
            "fp32": timings["fp32"],
            "int8": timings["int8"],
            "speedup_batch_1": fp32_b1 / int8_b1,
            "speedup_batch_n": timings["fp32"][f"batch_{request.bench_batch}"]["p50_ms"]
            / timings["int8"][f"batch_{request.bench_batch}"]["p50_ms"],
        },
        "sizes_bytes": sizes,
        "float_nodes": float_nodes,
        "quantizable_nodes": quantizable_nodes,
        "machine": {"cpu": cpu},
        "versions": versions,
    }
