"""The machine and the tools: CPU model, ISA flags that matter for int8, versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path
from typing import TypedDict

ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8")
TOOLS = (
    "edgeclass",
    "onnxruntime",
    "onnx",
    "optimum",
    "optimum-onnx",
    "torch",
    "transformers",
    "numpy",
    "Pillow",
    "mlflow",
)


class CpuInfo(TypedDict):
    model: str
    machine: str
    logical_cpus: int | None
    isa: dict[str, bool]
    vnni: bool  # an int8 dot-product instruction: AVX512-VNNI, AVX-VNNI or ARM's dot product


def cpu_info(cpuinfo: Path = Path("/proc/cpuinfo")) -> CpuInfo:
    model, flags = platform.processor() or platform.machine(), set[str]()
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and value.strip():
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
    has_vnni = bool(flags & {"avx512_vnni", "avx_vnni", "asimddp"})
    return {
        "model": model,
        "machine": platform.machine(),
        "logical_cpus": os.cpu_count(),
        "isa": {flag: flag in flags for flag in ISA_FLAGS},
        "vnni": has_vnni,
    }


def tool_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in TOOLS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions
