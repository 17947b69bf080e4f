"""The report says which int8 instructions its figures were measured with (int8 results differ
between CPUs), also for reports written before it recorded them."""

from __future__ import annotations

import json

import pytest

from edgeclass.runtime.locate import bundled_model_dir
from edgeclass.runtime.model_report import REPORT_JSON, Cpu, QuantizationReport, int8_isa_of

X86 = ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8")


@pytest.mark.parametrize(
    "present, expected",
    [
        ({"avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "amx_int8"}, "AMX"),  # Sapphire R.
        ({"avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni"}, "AVX512-VNNI"),  # Zen 5
        ({"avx2", "fma", "avx512f", "avx512bw"}, "AVX512BW"),  # Skylake-SP: VPMADDUBSW
        ({"avx2", "fma", "avx_vnni"}, "AVX-VNNI"),  # Alder Lake
        ({"avx2", "fma"}, "AVX2"),  # Haswell, Zen 2
        (set(), "no AVX2"),
    ],
)
def test_x86_flags_name_the_int8_kernels_onnxruntime_picks(present, expected):
    isa = {flag: flag in present for flag in X86}
    assert int8_isa_of(isa, "x86_64") == expected


def test_arm_and_unknown():
    assert int8_isa_of(dict.fromkeys(X86, False), "aarch64", vnni=True) == "ARM NEON dot product"
    assert int8_isa_of(dict.fromkeys(X86, False), "arm64") == "ARM NEON"
    assert int8_isa_of({}, "x86_64") == "unknown"


def test_recorded_in_new_reports_and_derived_for_old_ones():
    folder = bundled_model_dir()
    if folder is None:
        pytest.skip("this checkout bundles no default model")
    data = json.loads((folder / REPORT_JSON).read_text())
    cpu = data["machine"]["cpu"]
    assert QuantizationReport.from_dict(data).to_dict()["machine"]["cpu"] == cpu
    recorded = cpu.pop("int8_isa")
    old = QuantizationReport.from_dict(data)  # as written before the field existed
    assert old.machine.cpu.int8_isa == recorded == int8_isa_of(cpu["isa"], cpu["machine"])
    assert Cpu(model="x", isa={"avx2": True}, int8_isa="AMX").int8_isa == "AMX"  # kept as read
