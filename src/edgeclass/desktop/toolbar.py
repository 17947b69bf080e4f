"""The main toolbar: open and model actions, the Threshold box, the Show box, export."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QWidget

from edgeclass.desktop.label_filter import LabelFilterBox
from edgeclass.desktop.threshold_box import ThresholdBox
from edgeclass.desktop.window_settings import WindowSettings


class MainToolBar(QToolBar):
    def __init__(
        self,
        prefs: WindowSettings,
        open_actions: list[QAction],
        model_action: QAction,
        export_action: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Main", parent)
        self.setObjectName("MainToolBar")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addActions(open_actions)
        self.addSeparator()
        self.addAction(model_action)
        self.addSeparator()
        self.addWidget(_padded_label("Threshold:"))
        self.threshold_box = ThresholdBox(prefs, self)
        self.addWidget(self.threshold_box)
        self.addSeparator()
        self.addWidget(_padded_label("Show:"))
        self.label_filter = LabelFilterBox(self)
        self.addWidget(self.label_filter)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        self.addAction(export_action)


def _padded_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setContentsMargins(6, 0, 4, 0)
    return label
