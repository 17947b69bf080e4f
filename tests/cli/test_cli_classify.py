"""`edgeclass classify` as a subprocess; its outputs parsed back and checked against the API."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import edgeclass_test_images as images
import pytest
from process_io import finish, read_stderr_until, signals_as_from_a_terminal

from edgeclass.atomic_files import atomic_output
from edgeclass.cli import exit_codes
from edgeclass.runtime import UNKNOWN_LABEL, Classifier, Status, find_images
from edgeclass.runtime.locate import bundled_model_dir


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run the command; stdout/stderr decoded without newline translation (keeps "\\r")."""
    env = {k: v for k, v in os.environ.items() if k != "EDGECLASS_MODEL"}
    proc = subprocess.run(
        [sys.executable, "-m", "edgeclass", "classify", *map(str, args)],
        capture_output=True,
        env=env,
        timeout=120,
    )
    proc.stdout = proc.stdout.decode("utf-8")
    proc.stderr = proc.stderr.decode("utf-8")
    return proc


@pytest.fixture
def photos(make_image, tmp_path) -> Path:
    """A folder of real image files, three bad ones among them, and a sub-folder."""
    for i, (name, size) in enumerate(
        [("a.jpg", (120, 90)), ("b.png", (64, 64)), ("c.JPG", (50, 140)), ("e.webp", (80, 80))]
    ):
        make_image(name, size=size, seed=i)
    make_image("sub/deep.jpg", seed=9)
    folder = tmp_path / "images"
    (folder / "d_empty.jpg").write_bytes(b"")
    (folder / "d_notes.png").write_text("not an image")
    images.truncated(make_image("whole.jpg", size=(200, 200), seed=5), folder / "d_cut.jpg")
    (folder / "whole.jpg").unlink()
    return folder


def api_results(model_dir: Path, paths: list, **kwargs) -> list:
    classifier = Classifier(model_dir, threads=1)
    return list(classifier.classify_paths(find_images(paths), **kwargs))


def parse(fmt: str, text: str) -> list[dict]:
    if fmt == "json":
        return json.loads(text)
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        row["score"] = float(row["score"]) if row["score"] else None
        row["width"] = int(row["width"]) if row["width"] else None
        row["height"] = int(row["height"]) if row["height"] else None
        row["label"] = row["label"] or None
        row["top_k"] = [
            {"label": label, "score": float(score)}
            for label, score in (item.rsplit(":", 1) for item in row["top_k"].split(";") if item)
        ]
    return rows


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_outputs_parse_back_to_the_api_results(fmt, photos, tiny_model_dir):
    proc = run_cli(photos, "--model", tiny_model_dir, "--format", fmt, "--top-k", "2")
    assert proc.returncode == exit_codes.SOME_FILES_FAILED, proc.stderr
    rows = parse(fmt, proc.stdout)
    expected = [r.to_dict() for r in api_results(tiny_model_dir, [photos], top_k=2)]
    assert len(rows) == len(expected) == 7
    for row, want in zip(rows, expected, strict=True):
        for key in ("path", "status", "label", "width", "height", "message"):
            assert row[key] == want[key], key
        if want["score"] is None:
            assert row["score"] is None
        else:
            assert row["score"] == pytest.approx(want["score"], abs=1e-6)
        assert [t["label"] for t in row["top_k"]] == [t["label"] for t in want["top_k"]]
        for got, ref in zip(row["top_k"], want["top_k"], strict=True):
            assert got["score"] == pytest.approx(ref["score"], abs=1e-6)
    statuses = {Path(row["path"]).name: row["status"] for row in rows}
    assert statuses["d_empty.jpg"] == Status.EMPTY_FILE.value
    assert statuses["d_notes.png"] == Status.NOT_AN_IMAGE.value
    assert statuses["d_cut.jpg"] == Status.UNREADABLE.value
    assert "deep.jpg" not in statuses  # no --recursive


def test_stdout_holds_results_and_stderr_the_rest(photos, tiny_model_dir):
    proc = run_cli(photos, "--model", tiny_model_dir, "--format", "jsonl")
    lines = proc.stdout.splitlines()
    assert all(json.loads(line)["path"] for line in lines)  # nothing else on stdout
    assert "4 of 7 files classified" in proc.stderr
    assert "3 failed" in proc.stderr and "images/s" in proc.stderr
    assert f"{photos / 'd_empty.jpg'}: empty_file" in proc.stderr
    assert "\r" not in proc.stderr  # no progress bar when stderr is not a terminal


def test_progress_bar_on_request(photos, tiny_model_dir):
    proc = run_cli(photos, "-m", tiny_model_dir, "--progress", "-f", "csv")
    assert "\r" in proc.stderr and "7/7" in proc.stderr


def test_quiet_prints_nothing_on_stderr(photos, tiny_model_dir):
    proc = run_cli(photos, "-m", tiny_model_dir, "-q")
    assert proc.returncode == exit_codes.SOME_FILES_FAILED
    assert proc.stderr == ""


def test_table_keeps_input_order(photos, tiny_model_dir):
    named = [photos / "c.JPG", photos / "a.jpg", photos / "missing.jpg", photos / "b.png"]
    proc = run_cli(*named, "--model", tiny_model_dir)
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["PATH", "STATUS", "LABEL", "SCORE"]
    assert [line.split()[0] for line in lines[1:]] == [str(p) for p in named]
    assert lines[3].split()[1] == Status.NOT_FOUND.value


def test_recursive_includes_sub_folders(photos, tiny_model_dir):
    proc = run_cli(photos, "-r", "-m", tiny_model_dir, "-f", "json")
    paths = [row["path"] for row in json.loads(proc.stdout)]
    assert str(photos / "sub" / "deep.jpg") in paths
    assert paths == [str(p) for p in find_images([photos], recursive=True)]


def test_threshold_labels_unknown(photos, tiny_model_dir):
    good = [photos / "a.jpg", photos / "b.png"]
    api = api_results(tiny_model_dir, good)
    cut = max(r.score for r in api)  # the most confident one just passes
    proc = run_cli(*good, "-m", tiny_model_dir, "-f", "json", "--threshold", str(cut))
    assert proc.returncode == exit_codes.OK
    for row, ref in zip(json.loads(proc.stdout), api, strict=True):
        assert row["label"] == (ref.label if ref.score >= cut else UNKNOWN_LABEL)
        assert row["score"] == pytest.approx(ref.score)
    proc = run_cli(*good, "-m", tiny_model_dir, "-f", "json", "--threshold", "1")
    assert {row["label"] for row in json.loads(proc.stdout)} == {UNKNOWN_LABEL}
    assert "2 below threshold (unknown)" in proc.stderr


def test_batch_size_does_not_change_results(photos, tiny_model_dir):
    one = run_cli(photos, "-m", tiny_model_dir, "-f", "jsonl", "-b", "1", "--decode-threads", "1")
    many = run_cli(photos, "-m", tiny_model_dir, "-f", "jsonl", "-b", "5", "--threads", "2")
    for a, b in zip(parse("jsonl", one.stdout), parse("jsonl", many.stdout), strict=True):
        assert a["path"] == b["path"] and a["label"] == b["label"]
        assert a["score"] == pytest.approx(b["score"], abs=1e-6)


def test_output_file_is_written_atomically(photos, tiny_model_dir, tmp_path):
    target = tmp_path / "out" / "results.csv"
    target.parent.mkdir()
    target.write_text("old results\n")
    proc = run_cli(photos, "-m", tiny_model_dir, "-f", "csv", "-o", target)
    assert proc.stdout == ""
    assert parse("csv", target.read_text())[0]["path"] == str(photos / "a.jpg")
    assert [p.name for p in target.parent.iterdir()] == ["results.csv"]  # no temp file left
    # the temp file was owner-only (mkstemp); the results file has a new file's mode
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_failed_run_leaves_an_existing_output_alone(photos, tmp_path):
    target = tmp_path / "results.json"
    target.write_text("precious")
    proc = run_cli(photos, "-m", tmp_path / "no-such-model", "-f", "json", "-o", target)
    assert proc.returncode == exit_codes.MODEL_ERROR
    assert target.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "results.json"]


def test_atomic_output_discards_a_half_written_file(tmp_path):
    target = tmp_path / "results.jsonl"
    target.write_text("previous run\n")
    with pytest.raises(RuntimeError), atomic_output(target) as stream:
        stream.write('{"path": "a.jpg"}\n')
        raise RuntimeError("model crashed mid-way")
    assert target.read_text() == "previous run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


def test_all_good_exits_zero(photos, tiny_model_dir):
    proc = run_cli(photos / "a.jpg", photos / "b.png", "-m", tiny_model_dir)
    assert proc.returncode == exit_codes.OK, proc.stderr


def test_without_model_flag_the_bundled_default_is_used_or_the_advice_given(photos):
    proc = run_cli(photos, "-f", "csv")
    bundled = bundled_model_dir()
    if bundled is None:
        assert proc.returncode == exit_codes.MODEL_ERROR
        assert "--model" in proc.stderr and "EDGECLASS_MODEL" in proc.stderr
        return
    assert proc.returncode == exit_codes.SOME_FILES_FAILED, proc.stderr
    rows = parse("csv", proc.stdout)
    expected = api_results(bundled, [photos])
    assert [(r["path"], r["label"]) for r in rows] == [(r.path, r.label) for r in expected]
    assert {r.label for r in expected if r.ok} <= set(Classifier(bundled).labels)


def test_broken_model_exit_code(photos, model_copy):
    (model_copy / "model.onnx").write_bytes(b"garbage")
    proc = run_cli(photos, "-m", model_copy)
    assert proc.returncode == exit_codes.MODEL_ERROR
    assert "model error" in proc.stderr


def test_no_images_exit_code(tmp_path, tiny_model_dir):
    (tmp_path / "empty").mkdir()
    proc = run_cli(tmp_path / "empty", "-m", tiny_model_dir)
    assert proc.returncode == exit_codes.DATA_ERROR
    assert "no image files found" in proc.stderr


@pytest.mark.parametrize(
    "bad_args",
    [["--threshold", "1.5"], ["--top-k", "0"], ["--batch-size", "x"], ["--format", "xml"]],
)
def test_bad_arguments_exit_code(bad_args, photos, tiny_model_dir):
    proc = run_cli(photos, "-m", tiny_model_dir, *bad_args)
    assert proc.returncode == exit_codes.USAGE
    assert "usage:" in proc.stderr


def test_output_into_missing_folder_fails_before_work(photos, tiny_model_dir, tmp_path):
    proc = run_cli(photos, "-m", tiny_model_dir, "-o", tmp_path / "nope" / "r.csv")
    assert proc.returncode == exit_codes.USAGE
    assert "does not exist" in proc.stderr


def test_ctrl_c_leaves_the_output_alone(make_image, tiny_model_dir, tmp_path):
    source = make_image("big.png", size=(900, 700))
    folder = source.parent
    # Enough work (seconds, even on a fast machine) that Ctrl+C lands mid-run on a loaded one.
    for i in range(1000):
        os.link(source, folder / f"copy{i:04d}.png")
    target = tmp_path / "results.csv"
    target.write_text("previous run\n")
    env = {k: v for k, v in os.environ.items() if k != "EDGECLASS_MODEL"}
    command = [
        sys.executable,
        "-m",
        "edgeclass",
        "classify",
        str(folder),
        "-m",
        str(tiny_model_dir),
    ]
    command += ["-f", "csv", "-o", str(target), "-b", "1", "--decode-threads", "1", "--progress"]
    proc = subprocess.Popen(
        command, stderr=subprocess.PIPE, env=env, preexec_fn=signals_as_from_a_terminal
    )
    # Wait until results are flowing (the progress line counts them), then press Ctrl+C.
    read_stderr_until(proc, lambda seen: b"/1001" in seen, 120, "progress line")
    proc.send_signal(signal.SIGINT)
    finish(proc)
    assert proc.returncode == exit_codes.INTERRUPTED
    assert target.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "results.csv"]
