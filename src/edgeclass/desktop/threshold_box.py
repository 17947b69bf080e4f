"""The Threshold box: below this confidence a photo's label reads `unknown`."""

from __future__ import annotations

from PySide6.QtWidgets import QSpinBox, QWidget

from edgeclass.runtime.results import UNKNOWN_LABEL


class ThresholdBox(QSpinBox):
    def __init__(self, threshold: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 100)
        self.setSuffix(" %")
        self.setValue(round(threshold * 100))
        self.setToolTip(f"Below this confidence a photo's label reads “{UNKNOWN_LABEL}”")
