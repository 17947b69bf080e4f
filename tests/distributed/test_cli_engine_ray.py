"""`edgeclass classify --engine ray`: the local command's rows, as Parquet or its own formats,
and a clear message where Ray is not installed."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from scale_helpers import assert_same_rows, bad_files

from edgeclass.cli import exit_codes

# Python as if the scale extra were not installed (`import ray` fails), or as in the bundle,
# which leaves the Ray engine's module out.
MISSING = (
    "import sys; sys.modules[{!r}] = None; from edgeclass.cli.main import main; "
    "sys.exit(main(sys.argv[1:]))"
)


def _edgeclass(*args: object, missing: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("EDGECLASS_MODEL", "RAY_ADDRESS")}
    start = ["-c", MISSING.format(missing)] if missing else ["-m", "edgeclass"]
    return subprocess.run(
        [sys.executable, *start, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _notes_and_counts(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.startswith("edgeclass: ")]
    return [line.split(" in ")[0] if "files classified" in line else line for line in lines]


@pytest.mark.parametrize("missing", ["ray", "edgeclass.cli.classify_ray"])
def test_engine_ray_without_the_extra_says_how_to_install_it(tiny_model_dir, tmp_path, missing):
    photos = bad_files(tmp_path / "photos")
    output = tmp_path / "out.jsonl"
    done = _edgeclass(
        "classify", photos[0], "--engine", "ray", "--model", tiny_model_dir, "-o", output,
        missing=missing,
    )  # fmt: skip
    assert done.returncode == exit_codes.USAGE, done.stderr
    assert "pip install 'edgeclass[scale]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not output.exists()


def test_parquet_needs_the_ray_engine(tiny_model_dir, tmp_path):
    photos = bad_files(tmp_path / "photos")
    done = _edgeclass("classify", photos[0], "-f", "parquet", "-o", tmp_path / "out.parquet")
    assert done.returncode == exit_codes.USAGE
    assert "--engine ray" in done.stderr


def test_an_address_where_no_cluster_answers_fails_fast(tiny_model_dir, tmp_path):
    pytest.importorskip("ray", reason="the scale extra (Ray Data) is not installed")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    photos = bad_files(tmp_path / "photos")
    done = _edgeclass(
        "classify", photos[0], "--engine", "ray", "--ray-address", f"127.0.0.1:{port}",
        "--model", tiny_model_dir,
    )  # fmt: skip
    assert done.returncode == exit_codes.USAGE, done.stderr
    assert "no Ray cluster answers there" in done.stderr


@pytest.mark.slow
def test_parquet_and_jsonl_hold_the_local_rows(local_ray, tiny_model_dir, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    bad_files(tmp_path / "photos")
    common = ["classify", tmp_path / "photos", tmp_path / "missing.jpg", "--model", tiny_model_dir]
    local = _edgeclass(*common, "-f", "json", "-o", tmp_path / "local.json")
    assert local.returncode == exit_codes.SOME_FILES_FAILED, local.stderr
    expected = json.loads((tmp_path / "local.json").read_text(encoding="utf-8"))

    on_ray = [*common, "--engine", "ray", "--ray-address", local_ray, "--actors", "1"]
    folder = tmp_path / "results.parquet"
    folder.mkdir()
    (folder / "stale-part.parquet").write_bytes(b"PAR1 from an earlier run")  # replaced whole
    parquet = _edgeclass(*on_ray, "-o", folder)
    assert parquet.returncode == exit_codes.SOME_FILES_FAILED, parquet.stderr
    # The same per-file lines and summary counts as the local run.
    assert _notes_and_counts(parquet.stderr) == _notes_and_counts(local.stderr)
    assert "missing.jpg: not_found: " in parquet.stderr
    assert not (folder / "stale-part.parquet").exists()
    assert all(part.suffix == ".parquet" for part in folder.iterdir())
    assert_same_rows(pq.read_table(folder).to_pylist(), expected)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left

    jsonl = _edgeclass(*on_ray, "-f", "jsonl", "-o", tmp_path / "results.jsonl", "-q")
    assert jsonl.returncode == exit_codes.SOME_FILES_FAILED, jsonl.stderr
    # Quiet: no notes, no summary. (Ray's C++ core may still log a line of its own.)
    assert _notes_and_counts(jsonl.stderr) == []
    lines = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert_same_rows([json.loads(line) for line in lines], expected)


def test_ray_client_addresses_are_refused_with_the_reason(tiny_model_dir, tmp_path):
    pytest.importorskip("ray", reason="the scale extra (Ray Data) is not installed")
    photos = bad_files(tmp_path / "photos")
    done = _edgeclass(
        "classify", photos[0], "--engine", "ray", "--ray-address", "ray://127.0.0.1:10001",
        "--model", tiny_model_dir,
    )  # fmt: skip
    assert done.returncode == exit_codes.USAGE, done.stderr
    assert "Ray Client (ray://) cannot run Ray Data" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_run_without_an_address_starts_a_private_ray_and_leaves_nothing(tiny_model_dir, tmp_path):
    """Not the cluster RAY_ADDRESS names (nothing answers there), nothing in $HOME/.ray, no Ray
    session left in the temporary folder; the summary times the whole run, Ray's start
    included."""
    pq = pytest.importorskip("pyarrow.parquet")
    bad_files(tmp_path / "photos")
    home, temp = tmp_path / "home", Path(tempfile.mkdtemp(prefix="ect-"))
    home.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{probe.getsockname()[1]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "EDGECLASS_"))},
        "HOME": str(home),
        "TMPDIR": str(temp),
        "RAY_ADDRESS": nowhere,
    }
    command = [
        sys.executable, "-m", "edgeclass", "classify", tmp_path / "photos", "--engine", "ray",
        "--model", tiny_model_dir, "-o", tmp_path / "results.parquet",
    ]  # fmt: skip
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        wall = time.perf_counter() - started
        assert done.returncode == exit_codes.SOME_FILES_FAILED, done.stderr
        assert pq.read_table(tmp_path / "results.parquet").num_rows == 7
        assert list(home.iterdir()) == []  # no ~/.ray/auth_token, nothing else either
        assert list(temp.iterdir()) == []
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    summary = done.stderr.strip().splitlines()[-1]
    seconds = float(summary.split(" in ")[1].split(" s ")[0])
    # Ray's start (most of this run) is inside the summary's time, not only the re-read.
    assert seconds >= 0.5 * wall, (summary, wall)
