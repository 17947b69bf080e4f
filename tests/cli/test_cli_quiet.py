"""`-q` means quiet: Pillow's warnings become the file's message, onnxruntime's own lines are
silenced; without -q each shows once, tidily, never as a raw Python warning or a coloured line."""

from __future__ import annotations

import json
import shutil

import pytest
from hostile_cli import classify_command, cli_env, run_classify
from hostile_inputs import EXIF_WARNINGS, jpegs_with_odd_exif, plain_jpeg
from unprivileged import open_tmp_dir, run_unprivileged

from edgeclass.cli import exit_codes

ONNXRUNTIME_SAYS = cli_env(inject=True, EDGECLASS_TEST_ONNXRUNTIME_SAYS="1")
GPU_LINE = (
    "edgeclass: onnxruntime: GPU device discovery failed: device_discovery.cc:89 "
    'ReadFileContents Failed to open file: "/sys/class/drm/card0/device/vendor"'
)


@pytest.fixture
def noisy(tmp_path):
    """A photo, two photos whose EXIF Pillow warns about, and a copy of one of them (a warning
    Python would show only once per place in Pillow's code must reach each file)."""
    folder = tmp_path / "photos"
    plain_jpeg(folder / "a_plain.jpg")
    jpegs_with_odd_exif(folder)
    shutil.copy(folder / "orientation_twice.jpg", folder / "z_orientation_twice_again.jpg")
    return folder


def expected_notes(name: str) -> str:
    return f"Pillow: {EXIF_WARNINGS[name.removeprefix('z_').replace('_again', '')]}"


def test_quiet_prints_nothing_and_the_warnings_are_the_files_messages(noisy, tiny_model_dir):
    run = run_classify(noisy, "-m", tiny_model_dir, "-q", "-f", "jsonl", env=ONNXRUNTIME_SAYS)
    assert run.returncode == exit_codes.OK
    assert run.stderr == b""
    rows = {row["path"].rsplit("/", 1)[1]: row for row in map(json.loads, run.stdout.splitlines())}
    assert rows["a_plain.jpg"]["message"] == ""
    for name in ["orientation_twice.jpg", "exif_past_the_end.jpg", "z_orientation_twice_again.jpg"]:
        assert rows[name]["status"] == "ok"
        assert rows[name]["message"] == expected_notes(name)


def test_a_plain_run_shows_each_once_and_tidily(noisy, tiny_model_dir):
    run = run_classify(noisy, "-m", tiny_model_dir, env=ONNXRUNTIME_SAYS)
    assert run.returncode == exit_codes.OK
    [onnxruntime_line, summary] = run.stderr.decode().splitlines()
    assert onnxruntime_line == GPU_LINE
    assert summary.startswith("edgeclass: 4 of 4 files classified in ")
    table = run.stdout.decode()
    for name in ["orientation_twice.jpg", "exif_past_the_end.jpg", "z_orientation_twice_again.jpg"]:
        [line] = [line for line in table.splitlines() if f"/{name} " in line]
        assert line.endswith(expected_notes(name))


def test_quiet_stays_silent_for_a_user_who_cannot_write_home(tiny_model_dir):
    """No stand-in here: as such a user, onnxruntime 1.29+ wrote a coloured "Failed to persist
    telemetry device ID" line on its own while it loaded (before telemetry was turned off,
    edgeclass/privacy.py); whatever it says there, -q stays silent and a plain run tidy."""
    with open_tmp_dir() as root:
        photo = plain_jpeg(root / "a.jpg")
        photo.chmod(0o644)
        env = cli_env(HOME=str(root / "not-writable"))
        quiet = run_unprivileged(classify_command(photo, "-m", tiny_model_dir, "-q"), env=env)
        plain = run_unprivileged(classify_command(photo, "-m", tiny_model_dir), env=env)
    assert quiet.returncode == plain.returncode == exit_codes.OK
    assert quiet.stderr == b""
    assert b"\x1b" not in plain.stderr
    for line in plain.stderr.decode().splitlines()[:-1]:
        assert line.startswith("edgeclass: onnxruntime: ")
