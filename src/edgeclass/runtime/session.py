"""The one place an onnxruntime session is built (threads, providers, optimisation level)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors

from edgeclass.errors import ModelError

_LOAD_ERRORS = (
    ort_errors.Fail,
    ort_errors.InvalidArgument,
    ort_errors.InvalidGraph,
    ort_errors.InvalidProtobuf,
    ort_errors.NoSuchFile,
    ort_errors.NotImplemented,
    ort_errors.RuntimeException,
)


def create_session(
    onnx_path: str | Path, threads: int | None = None, *, spinning: bool = False
) -> ort.InferenceSession:
    """An onnxruntime CPU session for `onnx_path`.

    threads: intra-op threads (None: onnxruntime's default, one per physical core).
    spinning: let idle worker threads busy-wait for the next op. Off by default because the
    classifier decodes images on other threads at the same time, and spinning threads would steal
    the cores those decoders need.
    """
    options = ort.SessionOptions()
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: optimiser notes are not the user's business
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    try:
        return ort.InferenceSession(
            str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except _LOAD_ERRORS as error:
        raise ModelError(f"onnxruntime cannot load {onnx_path}: {error}") from error


def logits_of(
    model: str | Path | ort.InferenceSession, tensors: np.ndarray, batch_size: int = 16
) -> np.ndarray:
    """The first output (float32) of a model, a path or a session, over `tensors` in batches."""
    session = model if isinstance(model, ort.InferenceSession) else create_session(model)
    name = session.get_inputs()[0].name
    outputs = [
        session.run(None, {name: tensors[start : start + batch_size]})[0]
        for start in range(0, len(tensors), batch_size)
    ]
    return np.concatenate(outputs).astype(np.float32)
