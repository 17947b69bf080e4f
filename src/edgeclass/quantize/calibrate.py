"""Calibration: the runtime's own tensors fed to onnxruntime's calibrators, and the choice of
calibration method."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from onnxruntime.quantization import CalibrationDataReader

from edgeclass.errors import DataError
from edgeclass.quantize.data import LabelledImages
from edgeclass.quantize.quantize import CalibrationChoice, QuantSettings
from edgeclass.quantize.report import CalibrationTrial

MIN_CALIBRATION_IMAGES = 16


class TensorCalibrationReader(CalibrationDataReader):  # type: ignore[misc]  # ORT has no types
    """Feeds preprocessed tensors in small batches (fewer calibration runs than one by one)."""

    def __init__(self, tensors: np.ndarray, input_name: str, batch_size: int = 8) -> None:
        self.tensors = tensors
        self.input_name = input_name
        # Equal batches only: the histogram calibrators (entropy, percentile) stack the
        # intermediate outputs of a step and fail on a short last batch.
        self.batch_size = max(k for k in range(1, batch_size + 1) if len(tensors) % k == 0)
        self._next = 0
        self._stop = len(self)

    def __len__(self) -> int:
        """Number of batches (what onnxruntime's strided calibration counts in)."""
        return -(-len(self.tensors) // self.batch_size)

    def set_range(self, start_index: int, end_index: int) -> None:
        """Feed batches [start_index, end_index) next (onnxruntime's CalibStridedMinMax)."""
        self._next, self._stop = start_index, min(end_index, len(self))

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._next >= self._stop:
            return None
        start = self._next * self.batch_size
        self._next += 1
        return {self.input_name: self.tensors[start : start + self.batch_size]}

    def rewind(self) -> None:
        self._next, self._stop = 0, len(self)

    def stride(self, most: int = 4) -> int:
        """Batches per calibration step: the largest divisor of len(self) up to `most`, so only
        that many batches of intermediate tensors are held in memory at once."""
        return max(k for k in range(1, most + 1) if len(self) % k == 0)


def check_calibration_set(
    images: LabelledImages, labels: Sequence[str], minimum: int = MIN_CALIBRATION_IMAGES
) -> None:
    """A calibration set must be big enough and show every class, or its ranges are biased."""
    if len(images) < minimum:
        raise DataError(
            f"calibration set {images.root} has {len(images)} readable images; at least "
            f"{minimum} are needed for stable activation ranges (a few hundred is better)"
        )
    seen = {labels[target] for target in images.targets}
    missing = [label for label in labels if label not in seen]
    if missing:
        raise DataError(
            f"calibration set {images.root} has no images of: {', '.join(missing)}; "
            "calibrate on every class the model knows"
        )


def choose_calibration(
    base: QuantSettings,
    quantize: Callable[[QuantSettings, Path, Path], Path],
    work: Path,
    eval_tensors: np.ndarray,
    fp32_logits: np.ndarray,
    targets: Sequence[int],
    labels: Sequence[str],
    progress: Callable[[str], None],
) -> tuple[QuantSettings, list[CalibrationTrial]]:
    """Quantize with each calibration method and keep the one whose logits stay closest to
    fp32 (mean absolute error; ties: higher agreement). Fidelity, not accuracy: picking the
    most accurate on the eval set would select on the very labels the report then scores.
    quantize(settings, out_path, calibration cache path) -> the int8 model's path."""
    from edgeclass.quantize.evaluate import score
    from edgeclass.runtime.session import logits_of

    best: tuple[float, float] | None = None
    chosen, trials = base, []
    for method in CalibrationChoice:
        progress(f"calibration trial: {method.value}")
        settings = replace(base, calibration=method)
        path = quantize(
            settings,
            work / f"trial-{method.value}.onnx",
            work / f"calibration-{method.value}.json",
        )
        logits = logits_of(path, eval_tensors)
        error = float(np.abs(logits - fp32_logits).mean())
        agreement = float((logits.argmax(1) == fp32_logits.argmax(1)).mean())
        trials.append(
            CalibrationTrial(
                method=method.value,
                int8_accuracy=score(logits, targets, labels).accuracy,
                mean_abs_logit_error=error,
                agreement=agreement,
            )
        )
        key = (error, -agreement)
        if best is None or key < best:
            best, chosen = key, settings
    return chosen, trials
