"""A sub-command whose extra is not installed says which one to install and exits 2.

The subprocess gets a `sitecustomize` on PYTHONPATH that hides the extra's packages from every
import, as on a machine where `pip install edgeclass` alone was run.
"""

import os
import subprocess
import sys

import pytest

BLOCKER = """\
import os, sys

HIDDEN = set(os.environ["EDGECLASS_TEST_HIDDEN"].split(","))


class HideModules:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, HideModules())
"""


def run_without(hidden, args, tmp_path):
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    python_path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": python_path, "EDGECLASS_TEST_HIDDEN": hidden}
    return subprocess.run(
        [sys.executable, "-m", "edgeclass", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("hidden", "args", "extra"),
    [
        ("torch", ["train", "--data", "photos", "--output", "out"], "train"),
        (
            "onnx,optimum",
            ["quantize", "model", "--calib", "c", "--eval", "e", "--out", "o"],
            "quantize",
        ),
        ("uvicorn", ["serve"], "serve"),
    ],
)
def test_a_missing_extra_is_named_in_one_line(tmp_path, hidden, args, extra):
    result = run_without(hidden, args, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"pip install 'edgeclass[{extra}]'" in lines[0]
    assert hidden.split(",")[0] in lines[0]


def test_the_runtime_commands_run_without_the_extras(tmp_path):
    result = run_without(
        "torch,transformers,onnx,optimum,fastapi,uvicorn", ["classify", str(tmp_path)], tmp_path
    )
    assert result.returncode == 4  # no image files: the runtime ran, no extra was asked for
    assert "extra" not in result.stderr
