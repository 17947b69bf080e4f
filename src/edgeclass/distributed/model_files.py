"""A model folder carried as bytes, so every actor, on any node, loads the very same model."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from edgeclass.runtime.classifier import Classifier
from edgeclass.runtime.locate import resolve_model_dir
from edgeclass.runtime.model_folder import (
    CONFIG_FILE,
    ONNX_FILE,
    PREPROCESSOR_FILE,
    ModelFolder,
)

RUNTIME_FILES = (CONFIG_FILE, PREPROCESSOR_FILE)


@dataclass(frozen=True)
class ModelFiles:
    """The files the runtime reads from a model folder (model.onnx and any external-data file
    beside it, config.json, preprocessor_config.json), by name. About 1 MB for the bundled model.
    """

    files: dict[str, bytes]

    @classmethod
    def read(cls, model_dir: str | Path | None = None) -> ModelFiles:
        """Resolve and validate the folder as the CLI does; a broken one fails here, not in
        every actor."""
        folder = resolve_model_dir(model_dir)
        ModelFolder.load(folder)
        files = {
            path.name: path.read_bytes()
            for path in sorted(folder.iterdir())
            if path.is_file() and (path.name in RUNTIME_FILES or path.name.startswith(ONNX_FILE))
        }
        return cls(files)

    def load(
        self, threads: int | None, decode_threads: int | None, exact_decode: bool, max_pixels: int
    ) -> Classifier:
        """A Classifier for these files. onnxruntime reads the model while the session is made,
        so the temporary folder is gone once this returns."""
        with tempfile.TemporaryDirectory(prefix="edgeclass-model-") as folder:
            for name, data in self.files.items():
                Path(folder, name).write_bytes(data)
            return Classifier(
                ModelFolder.load(folder),
                threads=threads,
                decode_threads=decode_threads,
                exact_decode=exact_decode,
                max_pixels=max_pixels,
            )
