"""Reading a model folder's JSON files: config.json's labels and the preprocessor config.

Shared by the runtime, quantize, the trainer's teacher and the server, so a missing or broken
file gives the same ModelError everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgeclass.errors import ModelError
from edgeclass.runtime.preprocess import Preprocessor


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


def load_preprocessor(path: str | Path) -> Preprocessor:
    """The Preprocessor described by a `preprocessor_config.json`."""
    return Preprocessor.from_config(read_json(Path(path)), source=str(path))
