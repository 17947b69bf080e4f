"""Every setting of `edgeclass quantize` and its default, written once.

The command line's flags take their defaults (and the numbers in their help) from `DEFAULTS`;
the pipeline's `QuantizeRequest` is a `QuantizeOptions` plus the folders. Nothing heavy is
imported here: the CLI reads it each time it builds its parser.
"""

from __future__ import annotations

from dataclasses import dataclass

CALIBRATION_METHODS = ("minmax", "entropy", "percentile")
MODES = ("static", "dynamic")


@dataclass(frozen=True, kw_only=True)
class QuantizeOptions:
    # Largest accuracy loss allowed, in percentage points of the eval set.
    max_drop: float = 0.5
    # One of CALIBRATION_METHODS, or "auto": quantize with each, keep the closest to fp32.
    calibration: str = "auto"
    # Calibration images, split evenly over the classes.
    calib_size: int = 300
    # "static" (shipped) or "dynamic" (weights-only int8, for comparison).
    mode: str = "static"
    # ONNX node names kept in float on request.
    exclude_nodes: tuple[str, ...] = ()
    # Most layers with weights the gate may move back to float (with their activations).
    max_float_nodes: int = 16
    # Top-1 agreement with fp32 the gate searches for; 0 stops at the first attempt in max_drop.
    min_agreement: float = 0.98
    # 7-bit weights, so that AVX2's and AVX512BW's u8s8 multiply-add cannot saturate: the same
    # answers on every x86 CPU, at the same speed (docs/quantize.md, "Other CPUs"). None decides
    # from the quantizing CPU (on for x86 without VNNI only).
    reduce_range: bool | None = True
    # Subtract int8's mean logit shift measured on the calibration images.
    logit_correction: bool = True
    # Threads for the latency figures in the report.
    threads: int = 2
    # Opset 18 is Optimum's recommended minimum for MobileViT, carries LayerNormalization as one
    # op (ORT fuses it anyway), and every onnxruntime >= 1.14 runs it: new enough for the int8
    # tools, old enough for the runtimes users have.
    opset: int = 18
    # The second batch size timed (the first is 1), and how many runs each timing takes.
    bench_batch: int = 8
    bench_repeats: int = 20


DEFAULTS = QuantizeOptions()
