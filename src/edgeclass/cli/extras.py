"""Which sub-commands need an optional extra, and the one-line message when it is missing.

Checked before a sub-command runs, so `edgeclass train` without torch says what to install
instead of ending in a ModuleNotFoundError traceback half-way through.
"""

from __future__ import annotations

import importlib.util

# Sub-command: (the extra that provides it, the import names it needs from that extra).
NEEDS = {
    "train": (
        "train",
        ("torch", "transformers", "accelerate", "datasets", "mlflow", "sklearn", "yaml"),
    ),
    "quantize": ("quantize", ("torch", "transformers", "optimum", "onnx", "mlflow")),
    "serve": (
        "serve",
        ("fastapi", "uvicorn", "python_multipart", "prometheus_client", "swagger_ui"),
    ),
}


def is_installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a finder refused it, or a stub module without a spec
        return False


def missing_extra_message(command: str) -> str | None:
    """What to install for `edgeclass COMMAND`, or None when nothing is missing."""
    if command not in NEEDS:
        return None
    extra, modules = NEEDS[command]
    missing = [name for name in modules if not is_installed(name)]
    if not missing:
        return None
    return (
        f"`edgeclass {command}` needs the `{extra}` extra (missing: {', '.join(missing)}): "
        f"pip install 'edgeclass[{extra}]'"
    )
