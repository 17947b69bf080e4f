"""“Why this label?”: the occlusion heat map of the selected photo, made on demand.

edgeclass.runtime.occlusion computes the map on a worker thread (about a second for the bundled
model); edgeclass.runtime.heatmap draws it over the model's view of the photo, handed back as
a QImage. Selecting another photo cancels a map still being made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from edgeclass.desktop.background import CANCELLED, SUCCEEDED, Task, TaskRunner
from edgeclass.desktop.results_model import format_confidence
from edgeclass.desktop.thumbnails import pil_to_qimage
from edgeclass.runtime.classifier import Classifier
from edgeclass.runtime.heatmap import overlay
from edgeclass.runtime.occlusion import explain_file
from edgeclass.runtime.progress import ProgressCallback
from edgeclass.runtime.results import ClassificationResult

OVERLAY_SIZE = 512  # pixels on the longer side
WHY = "Why this label?"
BACK = "Show the photo"


@dataclass(frozen=True)
class Explanation:
    path: str
    label: str
    probability: float
    heat: np.ndarray  # (H, W) at the model's input size: mean probability drop
    image: QImage  # the heat map over the model's view of the photo


def explain_photo(
    classifier: Classifier,
    path: str,
    cancel: threading.Event,
    on_progress: ProgressCallback,
) -> Explanation:
    """Runs on the worker thread: decode, occlude, draw (QImage is safe off the UI thread).

    The photo is decoded and resized as for classifying it, within the same budgets."""
    found = explain_file(classifier, path, cancel=cancel, on_progress=on_progress)
    picture = overlay(found.view, found.heat, size=OVERLAY_SIZE)
    return Explanation(path, found.label, found.probability, found.heat, pil_to_qimage(picture))


class HeatmapPanel(QWidget):
    """The button (beside the photo's name) and its one-line `status` label.

    `heatmapShown(image)`: show this instead of the photo; `photoRequested()`: show the photo
    again; `explainEnded(outcome)`: a run ended (background's SUCCEEDED/FAILED/CANCELLED).
    """

    heatmapShown = Signal(QImage)
    photoRequested = Signal()
    explainEnded = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._classifier_source: Callable[[], Classifier | None] = lambda: None
        self._result: ClassificationResult | None = None
        self._task: Task | None = None
        self._showing = False
        self.explanation: Explanation | None = None
        # Where the keyboard goes when the button disables or hides itself while it has it
        # (the photos); Qt would hand it to the next widget in the window: the Threshold box.
        self.focus_home: Callable[[], None] = lambda: None
        self.runner = TaskRunner(self)
        self.button = QPushButton(WHY, self)
        # Tab reaches it; a click does not take the keyboard away from the photos.
        self.button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.button.setToolTip(
            "Grey out each part of the photo in turn and see which parts the label depends on"
        )
        self.button.clicked.connect(self._clicked)
        # Laid out by the detail pane, under the photo; hidden while it has nothing to say.
        self.status = QLabel(parent)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        self.set_result(None)

    def set_classifier_source(self, source: Callable[[], Classifier | None]) -> None:
        """Where the current model comes from (the window's, which may change)."""
        self._classifier_source = source

    def set_result(self, result: ClassificationResult | None) -> None:
        """Another photo is selected: a map still being made for the last one is dropped."""
        self.cancel()
        self._result = result
        self._showing = False
        self.explanation = None
        self.button.setText(WHY)
        self._say("")
        usable = result is not None and result.ok
        if not usable:
            self._release_focus()
        self.button.setEnabled(usable)
        self.setVisible(usable)

    def _release_focus(self) -> None:
        if self.button.hasFocus():
            self.focus_home()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def is_busy(self) -> bool:
        return self._task is not None

    def _clicked(self) -> None:
        if self._showing:
            self._showing = False
            self.button.setText(WHY)
            self.photoRequested.emit()
        elif self.explanation is not None:
            self._show(self.explanation)
        else:
            self.explain()

    def explain(self) -> Task | None:
        classifier = self._classifier_source()
        result = self._result
        if classifier is None or result is None or not result.ok or self._task is not None:
            return None
        path = result.path

        def work(cancel: threading.Event, on_progress: ProgressCallback) -> Explanation:
            return explain_photo(classifier, path, cancel, on_progress)

        task = Task(work)
        task.progress.connect(self._on_progress)
        task.succeeded.connect(self._on_explained)
        task.failed.connect(self._on_failed)
        task.ended.connect(self._on_ended)
        self._task = task
        self._release_focus()
        self.button.setEnabled(False)
        self._say("Working out why…")
        self.runner.start(task)
        return task

    def _current(self, task: object) -> bool:
        return task is not None and task is self._task

    def _on_progress(self, done: int, total: int) -> None:
        if self._current(self.sender()):
            self._say(f"Working out why… {100 * done // max(total, 1)}%")

    def _on_explained(self, explanation: Explanation) -> None:
        result = self._result
        if self._current(self.sender()) and result is not None and explanation.path == result.path:
            self.explanation = explanation
            self._show(explanation)

    def _show(self, explanation: Explanation) -> None:
        self._showing = True
        self.button.setText(BACK)
        self._say(
            f"Bright: the parts that “{explanation.label}” "
            f"({format_confidence(explanation.probability)}) depends on most."
        )
        self.heatmapShown.emit(explanation.image)

    def _on_failed(self, message: str) -> None:
        if self._current(self.sender()):
            self._say(f"No heat map: {message}")

    def _on_ended(self, outcome: str) -> None:
        if self._current(self.sender()):
            self._task = None
            self.button.setEnabled(self._result is not None and self._result.ok)
            if outcome == SUCCEEDED and self.explanation is None:
                self._say("")
            elif outcome == CANCELLED:
                self._say("Stopped.")
        self.explainEnded.emit(outcome)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def stop(self) -> None:
        """Cancel and wait: the window is closing."""
        self.cancel()
        self.runner.wait_all()

    def hideEvent(self, event: QHideEvent) -> None:
        self.cancel()
        super().hideEvent(event)
