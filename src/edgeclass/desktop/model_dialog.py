"""About this model: where it lives, its labels, its model card and its quantization numbers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if value is None:
        return "—"
    return str(value)


def fill_tree(parent: QTreeWidgetItem | QTreeWidget, data) -> None:
    """Nested dicts and lists as an expandable key/value tree."""
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        item = QTreeWidgetItem([str(key)])
        if isinstance(parent, QTreeWidget):
            parent.addTopLevelItem(item)
        else:
            parent.addChild(item)
        if isinstance(value, dict | list):
            fill_tree(item, value)
            item.setExpanded(True)
        else:
            item.setText(1, _format_value(value))


class ModelDialog(QDialog):
    def __init__(self, folder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About this model")
        self.resize(680, 520)

        summary = QWidget(self)
        form = QFormLayout(summary)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for name, text in (
            ("Folder", str(folder.path)),
            ("Model file", folder.onnx_path.name),
            ("Labels", ", ".join(folder.labels)),
            ("Input size", _input_size(folder)),
        ):
            value = QLabel(text, summary)
            value.setToolTip(text)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{name}:", value)

        self.tabs = QTabWidget(self)
        self.card = QTextBrowser(self.tabs)
        self.card.setOpenExternalLinks(False)
        if folder.model_card:
            self.card.setMarkdown(folder.model_card)
        else:
            self.card.setPlainText("This model folder has no MODEL_CARD.md.")
        self.tabs.addTab(self.card, "Model card")

        self.quantization = QTreeWidget(self.tabs)
        self.quantization.setHeaderLabels(["Measure", "Value"])
        if folder.quantization_report:
            fill_tree(self.quantization, folder.quantization_report)
            self.quantization.resizeColumnToContents(0)
        else:
            QTreeWidgetItem(self.quantization, ["No quantization_report.json in this folder"])
        self.tabs.addTab(self.quantization, "Quantization")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)


def _input_size(folder) -> str:
    size = getattr(folder.preprocessor, "output_size", None)  # (height, width)
    if isinstance(size, tuple | list) and len(size) == 2:
        return f"{size[1]} × {size[0]} pixels"
    return "follows the photo"
