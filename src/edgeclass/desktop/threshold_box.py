"""The Threshold box: below this confidence a photo's label reads `unknown`."""

from __future__ import annotations

from PySide6.QtWidgets import QSpinBox, QWidget

from edgeclass.desktop.window_settings import WindowSettings
from edgeclass.runtime.results import UNKNOWN_LABEL


class ThresholdBox(QSpinBox):
    """Starts at the remembered threshold. A change relabels the rows at once (`valueChanged`);
    it is remembered for the next session only when the user is done with the box (Enter, or
    focus leaving it after a change), never by code setting it or focus passing through."""

    def __init__(self, prefs: WindowSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prefs = prefs
        self.setRange(0, 100)
        self.setSuffix(" %")
        self.setValue(round(prefs.threshold() * 100))
        self.setToolTip(f"Below this confidence a photo's label reads “{UNKNOWN_LABEL}”")
        self.editingFinished.connect(self._chosen)

    def threshold(self) -> float:
        return self.value() / 100

    def _chosen(self) -> None:
        if self.threshold() != self._prefs.threshold():
            self._prefs.set_threshold(self.threshold())
