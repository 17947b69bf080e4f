"""The CPU as onnxruntime's int8 kernels see it, for tests that compare int8 results with figures
measured on another machine (a unique module name: tests/ has no packages).

int8 results differ slightly between CPUs with other int8 instructions (AVX2's VPMADDUBSW
saturates where VNNI does not; edgeclass.runtime.model_report.int8_isa_of). A test compares
exactly only where the figure was measured the same way, and within CROSS_ISA_IMAGES elsewhere.
"""

from __future__ import annotations

import onnxruntime

from edgeclass.quantize.sysinfo import cpu_info
from edgeclass.runtime.model_report import QuantizationReport, int8_isa_of

# How far the default model's right answers on its 1,000 test photos may move, per class and in
# all, on a CPU with other int8 instructions: twice what bench/cross_isa.py measured between
# AVX512-VNNI and an AVX2-only CPU (QEMU's Haswell; 13 answers flipped: cat -5, dog +4, all -1,
# the 862 seen on a real AVX2-only EPYC; docs/quantize.md, "Other CPUs").
CROSS_ISA_IMAGES = 10


def this_cpu_int8_isa() -> str:
    cpu = cpu_info()
    return int8_isa_of(cpu["isa"], cpu["machine"], cpu["vnni"])


def runs_like_the_report(report: QuantizationReport) -> bool:
    """True when this machine runs the same int8 kernels as the one that measured `report`."""
    same_isa = this_cpu_int8_isa() == report.machine.cpu.int8_isa
    return same_isa and report.versions.get("onnxruntime") == onnxruntime.__version__
