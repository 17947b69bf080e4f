"""`edgeclass report`, and the defaults `edgeclass quantize` passes on when given no flags."""

from __future__ import annotations

import copy
import json
from pathlib import Path, PurePath

import pytest

from edgeclass.cli import exit_codes
from edgeclass.cli.main import build_parser, main
from edgeclass.quantize.report import REPORT_JSON, QuantizationReport
from edgeclass.runtime.locate import bundled_model_dir

DEFAULT = bundled_model_dir()
needs_default = pytest.mark.skipif(DEFAULT is None, reason="this checkout bundles no default model")


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def _machine_paths(strings: list[str]) -> list[str]:
    """Absolute paths whose top folder exists here (`/work/...`, `/tmp/...`); ONNX node names
    (`/mobilevit/...`) look absolute too, but name no folder."""
    paths = [PurePath(s) for s in strings if PurePath(s).is_absolute()]
    return [str(p) for p in paths if len(p.parts) > 1 and Path(p.anchor, p.parts[1]).exists()]


def _shipped() -> dict:
    return json.loads((DEFAULT / REPORT_JSON).read_text(encoding="utf-8"))


@needs_default
def test_shipped_report_prints_and_holds_no_absolute_path(capsys):
    shipped = _shipped()
    assert _machine_paths(_strings(shipped)) == []
    assert main(["report", str(DEFAULT)]) == exit_codes.OK
    page = capsys.readouterr().out
    assert f"{100 * shipped['accuracy']['int8']['accuracy']:.2f}%" in page
    assert page == (DEFAULT / "quantization_report.md").read_text(encoding="utf-8")
    assert main(["report", str(DEFAULT), "--json"]) == exit_codes.OK
    assert json.loads(capsys.readouterr().out) == shipped


@needs_default
def test_a_schema_1_report_with_build_paths_is_read_without_them(tmp_path, capsys):
    old = copy.deepcopy(_shipped())
    old["schema"] = 1
    old.pop("stages", None)
    for block, key, path in (
        ("model", "source", "/build/runs/catsdogs-stage6/model"),
        ("calibration_set", "path", "/build/data/catsdogs/train"),
        ("eval_set", "path", "/build/data/catsdogs/test"),
    ):
        del old[block]["name"]
        old[block][key] = path
    (tmp_path / REPORT_JSON).write_text(json.dumps(old))

    report = QuantizationReport.from_dict(old)
    assert (report.model.name, report.eval_set.name) == ("catsdogs-stage6/model", "catsdogs/test")
    assert report.accuracy.int8.accuracy == old["accuracy"]["int8"]["accuracy"]
    assert main(["report", str(tmp_path)]) == exit_codes.OK
    page = capsys.readouterr().out
    assert "catsdogs/test" in page and "/build" not in page


@pytest.mark.parametrize(
    "content", ["{not json", "[1, 2]", '{"accuracy": {"fp32": 0.9}}', '{"schema": 99}']
)
def test_a_broken_or_newer_report_is_a_model_error(tmp_path, capsys, content):
    (tmp_path / REPORT_JSON).write_text(content)
    assert main(["report", str(tmp_path)]) == exit_codes.MODEL_ERROR
    assert str(tmp_path / REPORT_JSON) in capsys.readouterr().err


def test_quantize_without_flags_requests_the_pipeline_defaults():
    from edgeclass.cli.quantize import request_from
    from edgeclass.quantize.pipeline import QuantizeRequest

    args = build_parser().parse_args(
        ["quantize", "model", "--calib", "train", "--eval", "test", "--out", "int8"]
    )
    expected = QuantizeRequest(Path("model"), Path("train"), Path("test"), Path("int8"))
    assert request_from(args) == expected
