"""Write the model folder atomically: build it in a temp folder next to the target, then rename."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from edgeclass.atomic_files import as_new_tree, replace_folder, write_json_atomic


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
        replace_folder(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
