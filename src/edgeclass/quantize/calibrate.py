"""Calibration data: the runtime's own tensors, fed to onnxruntime's calibrators."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnxruntime.quantization import CalibrationDataReader

from edgeclass.errors import DataError
from edgeclass.quantize.data import LabelledImages

MIN_CALIBRATION_IMAGES = 16


class TensorCalibrationReader(CalibrationDataReader):
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
