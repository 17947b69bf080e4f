"""Load and validate a model folder: model.onnx, config.json (id2label), preprocessor config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgeclass.errors import ModelError
from edgeclass.runtime.model_config import labels_from_config, load_preprocessor, read_json
from edgeclass.runtime.model_report import REPORT_JSON
from edgeclass.runtime.preprocess import Preprocessor

ONNX_FILE = "model.onnx"
CONFIG_FILE = "config.json"
PREPROCESSOR_FILE = "preprocessor_config.json"
MODEL_CARD_FILE = "MODEL_CARD.md"


@dataclass(frozen=True)
class ModelFolder:
    """A validated model folder; model.onnx, config.json and the preprocessor are required."""

    path: Path
    labels: tuple[str, ...]
    onnx_path: Path
    preprocessor: Preprocessor
    model_card: str | None = None
    quantization_report: dict[str, Any] | None = None

    @classmethod
    def load(cls, path: str | Path) -> ModelFolder:
        folder = Path(path)
        if not folder.is_dir():
            raise ModelError(f"model folder {folder} does not exist or is not a folder")
        onnx_path = folder / ONNX_FILE
        if not onnx_path.is_file():
            raise ModelError(
                f"{folder} has no {ONNX_FILE}; a runnable model folder holds {ONNX_FILE}, "
                f"{CONFIG_FILE} and {PREPROCESSOR_FILE} (export a trained model with "
                "`edgeclass quantize`)"
            )
        labels = labels_from_config(read_json(folder / CONFIG_FILE), folder / CONFIG_FILE)
        preprocessor = load_preprocessor(folder / PREPROCESSOR_FILE)
        card_path = folder / MODEL_CARD_FILE
        model_card = card_path.read_text(encoding="utf-8") if card_path.is_file() else None
        report_path = folder / REPORT_JSON
        report = read_json(report_path) if report_path.is_file() else None
        return cls(
            path=folder,
            labels=labels,
            onnx_path=onnx_path,
            preprocessor=preprocessor,
            model_card=model_card,
            quantization_report=report,
        )
