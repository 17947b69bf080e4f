"""Load and validate a model folder: model.onnx, config.json (id2label), preprocessor config."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgeclass.errors import ModelError
from edgeclass.runtime.preprocess import Preprocessor

ONNX_FILE = "model.onnx"
CONFIG_FILE = "config.json"
PREPROCESSOR_FILE = "preprocessor_config.json"
MODEL_CARD_FILE = "MODEL_CARD.md"
QUANTIZATION_REPORT_FILE = "quantization_report.json"


def read_json(path: Path) -> Any:
    """Parse a JSON file, turning every way it can be missing or broken into a ModelError."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ModelError(f"cannot read {path}: {error}") from error
    except json.JSONDecodeError as error:
        raise ModelError(f"{path} is not valid JSON: {error}") from error


def labels_from_config(config: Any, path: Path) -> tuple[str, ...]:
    """The class names in output order, from the Hugging Face `id2label` mapping."""
    id2label = config.get("id2label") if isinstance(config, dict) else None
    if not isinstance(id2label, dict) or not id2label:
        raise ModelError(f"{path} has no `id2label` mapping, so the class names are unknown")
    try:
        by_index = {int(key): str(value) for key, value in id2label.items()}
    except (TypeError, ValueError):
        raise ModelError(
            f"{path}: `id2label` keys must be integers, got {list(id2label)}"
        ) from None
    if sorted(by_index) != list(range(len(by_index))):
        raise ModelError(f"{path}: `id2label` keys must be 0..{len(by_index) - 1}")
    return tuple(by_index[i] for i in range(len(by_index)))


@dataclass(frozen=True)
class ModelFolder:
    """A validated model folder; model.onnx, config.json and the preprocessor are required."""

    path: Path
    labels: tuple[str, ...]
    onnx_path: Path
    preprocessor: Preprocessor
    model_card: str | None = None
    quantization_report: dict | None = None

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
        preprocessor = Preprocessor.from_file(folder / PREPROCESSOR_FILE)
        card_path = folder / MODEL_CARD_FILE
        model_card = card_path.read_text(encoding="utf-8") if card_path.is_file() else None
        report_path = folder / QUANTIZATION_REPORT_FILE
        report = read_json(report_path) if report_path.is_file() else None
        return cls(
            path=folder,
            labels=labels,
            onnx_path=onnx_path,
            preprocessor=preprocessor,
            model_card=model_card,
            quantization_report=report,
        )
