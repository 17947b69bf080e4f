"""Ctrl+C, SIGTERM and SIGHUP stop `classify` within moments, whatever is decoding: the output
left exactly as it was, no temp file, no process left behind, the rows already on stdout whole.

The decode that never ends is a stand-in (tests/cli/injected): an image of one chosen size makes
the decoder sleep 60 s inside a C call, where no Python code runs, as a decoder stuck on a
hostile file does; test_cli_hostile_files.py does the same with a real hostile file.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_cli import classify_command, cli_env, finish, start
from hostile_inputs import plain_jpeg
from PIL import Image

from edgeclass.cli import exit_codes

STUCK_SIZE = (77, 77)
GOOD_BEFORE = 3


@pytest.fixture
def stuck_folder(tmp_path) -> Path:
    """Three photos, then one whose decode never ends, then one more."""
    folder = tmp_path / "photos"
    for i in range(GOOD_BEFORE):
        plain_jpeg(folder / f"a{i}.jpg", colour=(40 * i, 90, 160))
    Image.new("RGB", STUCK_SIZE, (200, 30, 30)).save(folder / "b_stuck.jpg")
    plain_jpeg(folder / "c_after.jpg")
    return folder


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


def start_stuck(folder: Path, model: Path, *options: object, stdout=subprocess.DEVNULL):
    """Starts classify; returns once the decode that never ends has begun."""
    mark = folder.parent / "stuck-now"
    env = cli_env(
        inject=True,
        EDGECLASS_TEST_STUCK_SIZE="x".join(map(str, STUCK_SIZE)),
        EDGECLASS_TEST_STUCK_MARK=str(mark),
    )
    process = start(classify_command(folder, "-m", model, "-b", "1", *options), env, stdout=stdout)
    wait_for(lambda: mark.exists() or process.poll() is not None, "the stuck decode")
    assert process.poll() is None, process.stderr.read().decode(errors="replace")
    mark.unlink()
    return process


@pytest.mark.parametrize(
    "signum, code",
    [
        (signal.SIGTERM, 143),
        (signal.SIGINT, exit_codes.INTERRUPTED),
        (signal.SIGHUP, 129),
    ],
    ids=["SIGTERM", "SIGINT", "SIGHUP"],
)
def test_a_signal_stops_a_stuck_decode_at_once_and_leaves_the_output_alone(
    signum, code, stuck_folder, tiny_model_dir, tmp_path
):
    target = tmp_path / "results.csv"
    target.write_text("previous run\n")
    process = start_stuck(
        stuck_folder, tiny_model_dir, "-f", "csv", "-o", target, "--decode-threads", "2"
    )
    time.sleep(0.5)  # the rows before it are written meanwhile: the temp file holds them
    signalled = time.monotonic()
    process.send_signal(signum)
    run = finish(process, timeout=20, started=signalled)
    assert run.returncode == code, run.stderr.decode(errors="replace")
    assert run.seconds < 2, f"{run.seconds:.1f} s after the signal"
    assert target.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "results.csv"]
    assert run.left_running == []
    reason = (
        "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    )
    assert run.stderr.decode().endswith(f"edgeclass: {reason}\n")


def test_rows_already_written_to_stdout_are_whole_when_stopped(
    stuck_folder, tiny_model_dir, tmp_path
):
    with open(tmp_path / "stdout", "wb") as stdout:
        process = start_stuck(
            stuck_folder, tiny_model_dir, "-f", "jsonl", "--decode-threads", "1", stdout=stdout
        )
        written = (tmp_path / "stdout").read_bytes
        wait_for(lambda: written().count(b"\n") == GOOD_BEFORE, "the rows before the stuck file")
        process.send_signal(signal.SIGTERM)
        run = finish(process, timeout=20)
    assert run.returncode == 143
    rows = [json.loads(line) for line in written().splitlines()]
    assert [Path(row["path"]).name for row in rows] == [f"a{i}.jpg" for i in range(GOOD_BEFORE)]
    assert written().endswith(b"\n")


def test_a_temp_file_left_by_sigkill_is_removed_by_the_next_run(stuck_folder, tiny_model_dir):
    target = stuck_folder.parent / "results.csv"
    process = start_stuck(stuck_folder, tiny_model_dir, "-f", "csv", "-o", target)
    process.send_signal(signal.SIGKILL)  # nothing can clean up after this
    finish(process, timeout=20)
    [left] = [p.name for p in stuck_folder.parent.iterdir() if p.name.startswith(".results")]
    assert left.startswith(f".results.csv.edgeclass-{process.pid}-")
    (stuck_folder / "b_stuck.jpg").unlink()
    run = finish(
        start(classify_command(stuck_folder, "-m", tiny_model_dir, "-o", target), cli_env()),
        timeout=120,
    )
    assert run.returncode == exit_codes.OK, run.stderr.decode()
    assert sorted(p.name for p in stuck_folder.parent.iterdir()) == ["photos", "results.csv"]


def test_sigterm_while_onnxruntime_loads_still_says_why(tmp_path, tiny_model_dir):
    """While the runtime is imported, descriptor 2 is a pipe (cli/native_output.py): the stop's
    last line must still reach the real stderr."""
    photo = plain_jpeg(tmp_path / "a.jpg")
    command = [sys.executable, "-X", "importtime", *classify_command(photo)[1:]]
    process = start([*command, "-m", tiny_model_dir], cli_env())
    seen = b""
    line = b""
    while line.split(b"|")[-1].strip() != b"onnxruntime.capi._ld_preload":  # it is loading
        line = process.stderr.readline()
        assert line, seen.decode()
        seen += line
    process.send_signal(signal.SIGTERM)
    run = finish(process, timeout=60)
    assert run.returncode == 143
    assert run.stderr.decode().endswith("edgeclass: stopped by SIGTERM\n")
