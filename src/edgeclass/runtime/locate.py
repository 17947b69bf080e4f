"""Find the model folder to use: --model flag, then $EDGECLASS_MODEL, then the bundled default."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from edgeclass.errors import ModelError

ENV_VAR = "EDGECLASS_MODEL"


def bundled_model_dir() -> Path | None:
    """The default model shipped inside the package, if this build has one."""
    default = resources.files("edgeclass.resources").joinpath("models").joinpath("default")
    # Installed wheels, editable installs and PyInstaller bundles all keep resources on disk.
    if default.is_dir() and default.joinpath("model.onnx").is_file():
        return Path(str(default))
    return None


def named_model_dir(path: str | Path | None = None) -> tuple[Path, str] | None:
    """The folder the user named and where: the --model flag, else $EDGECLASS_MODEL; or None.

    A named folder comes before anything an app remembers and before the bundled model.
    """
    if path is not None and str(path) != "":
        return Path(path), "--model"
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]), f"${ENV_VAR}"
    return None


def resolve_model_dir(path: str | Path | None = None) -> Path:
    """The model folder to load. Raises ModelError with how-to text when there is none."""
    named = named_model_dir(path)
    if named is None:
        bundled = bundled_model_dir()
        if bundled is None:
            raise ModelError(
                "no model given, and this edgeclass build has no bundled default model. "
                "Pass one with --model DIR, or set EDGECLASS_MODEL=DIR (a folder holding "
                "model.onnx, config.json and preprocessor_config.json, as written by "
                "`edgeclass quantize`)."
            )
        return bundled
    chosen, source = named
    if not chosen.is_dir():
        raise ModelError(f"model folder {chosen} (from {source}) does not exist or is not a folder")
    return chosen
