"""Write the model folder atomically: build it in a temp folder next to the target, then rename."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from edgeclass.file_modes import as_new_file, as_new_tree


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp file in the same folder, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=False)
            handle.write("\n")
        as_new_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_dir(source: Path, target: Path) -> None:
    """Move the finished folder `source` to `target`, replacing an older `target`."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    source.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_model_folder(target: Path, model, processor, summary: dict[str, Any]) -> Path:
    """config.json + model.safetensors + preprocessor_config.json + training_summary.json.

    A crash part-way leaves only a hidden `.model.tmp-*` folder, never a half-written `target`.
    """
    import torch

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        model = model.to(memory_format=torch.contiguous_format)  # safetensors wants contiguous
        model.save_pretrained(tmp, safe_serialization=True)
        processor.save_pretrained(tmp)
        write_json_atomic(tmp / "training_summary.json", summary)
        as_new_tree(tmp)
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
