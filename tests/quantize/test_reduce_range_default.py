"""int8 models are quantized with 7-bit weights by default, whatever CPU quantizes them, so that
AVX2's u8s8 multiply-add cannot saturate and every x86 CPU gives the same answers
(docs/quantize.md, "Other CPUs")."""

from __future__ import annotations

from edgeclass.quantize.options import QuantizeOptions
from edgeclass.quantize.report import read_report


def test_the_default_run_quantizes_with_reduce_range_on_any_cpu(quantized):
    assert QuantizeOptions().reduce_range is True
    settings = read_report(quantized.out_dir).quantization.settings
    assert settings["reduce_range"] is True
