"""Help > About This Model: how often it is right, then its details and its model card."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from edgeclass.desktop.model_summary import summarise
from edgeclass.runtime.model_folder import ModelFolder


def _value_label(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ModelDialog(QDialog):
    def __init__(self, folder: ModelFolder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About this model")
        self.resize(680, 520)
        summary = summarise(folder)

        self.headline = _value_label(summary.headline, self)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.headline.setFont(font)
        self.measured = _value_label(summary.measured, self)
        self.measured.setVisible(bool(summary.measured))

        details = QWidget(self)
        form = QFormLayout(details)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, text in summary.rows:
            form.addRow(f"{name}:", _value_label(text, details))
        if summary.per_class:
            form.addRow(QLabel("Right per label:", details))
            for label, text in summary.per_class:
                form.addRow(f"    {label}:", _value_label(text, details))
        self.details = form

        self.tabs = QTabWidget(self)
        self.tabs.addTab(details, "Details")
        self.card = QTextBrowser(self.tabs)
        self.card.setOpenExternalLinks(False)
        if folder.model_card:
            self.card.setMarkdown(folder.model_card)
        else:
            self.card.setPlainText("This model folder has no model card (MODEL_CARD.md).")
        self.tabs.addTab(self.card, "Model card")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.measured)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    def text(self) -> str:
        """Everything the dialog says outside the model card, in reading order."""
        lines = [self.headline.text()]
        if self.measured.text():
            lines.append(self.measured.text())
        for row in range(self.details.rowCount()):
            texts = []
            for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole):
                item = self.details.itemAt(row, role)
                widget = item.widget() if item is not None else None
                if isinstance(widget, QLabel):
                    texts.append(widget.text().strip())
            lines.append(" ".join(texts))
        return "\n".join(lines)
