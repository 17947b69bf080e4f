"""Latency and throughput of ONNX models, measured side by side (interleaved) in one run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from onnxruntime import InferenceSession


def time_interleaved(
    runners: Mapping[str, Callable[[], object]],
    repeats: int = 20,
    warmup: int = 3,
    cpu_samples: dict[str, list[float]] | None = None,
) -> dict[str, list[float]]:
    """Wall-clock milliseconds per call of each runner; the runners take turns so shared-CPU
    noise hits them all alike. cpu_samples, when given, also gets this process's CPU
    milliseconds per call (all threads): steadier than wall time when others load the machine."""
    for run in runners.values():
        for _ in range(warmup):
            run()
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            cpu_start, start = time.process_time(), time.perf_counter()
            run()
            samples[name].append((time.perf_counter() - start) * 1000.0)
            if cpu_samples is not None:
                cpu_samples.setdefault(name, []).append((time.process_time() - cpu_start) * 1000.0)
    return samples


def summarize(samples: list[float], batch: int) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(ordered)
    return {
        "batch": batch,
        "p50_ms": median,
        "p95_ms": p95,
        "images_per_s": batch * 1000.0 / median,
        "runs": len(ordered),
    }


def session_runner(session: InferenceSession, batch: np.ndarray) -> Callable[[], object]:
    name = session.get_inputs()[0].name
    return lambda: session.run(None, {name: batch})


def compare_onnx(
    models: Mapping[str, str],
    image_shape: tuple[int, int, int],
    *,
    threads: int,
    batch_sizes: tuple[int, ...] = (1, 8),
    repeats: int = 20,
    seed: int = 0,
) -> dict[str, dict[str, dict[str, float]]]:
    """{model name: {"batch_1": summary, "batch_8": summary}} with runtime-built sessions."""
    from edgeclass.runtime import create_session

    sessions = {name: create_session(path, threads) for name, path in models.items()}
    rng = np.random.default_rng(seed)
    results: dict[str, dict[str, dict[str, float]]] = {name: {} for name in models}
    for batch in batch_sizes:
        data = rng.random((batch, *image_shape), dtype=np.float32)
        runners = {name: session_runner(s, data) for name, s in sessions.items()}
        samples = time_interleaved(runners, repeats=max(5, repeats // batch * 2))
        for name, values in samples.items():
            results[name][f"batch_{batch}"] = summarize(values, batch)
    return results
