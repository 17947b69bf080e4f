"""File names built to attack whoever reads the output: escaped where people read (the table,
stderr), exact where programs read (CSV, JSON, JSONL)."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re

import pytest
from hostile_cli import run_classify
from hostile_inputs import plain_jpeg

from edgeclass.cli import exit_codes

# A spreadsheet formula plus an escape sequence that clears the screen; a newline that forges a
# summary line; a carriage return that rewrites the line; a right-to-left override; a C1 CSI.
FORMULA = '=HYPERLINK("example.com","click")\x1b[2J.jpg'  # no "/": it is one name
FORGED = "x.jpg\nedgeclass: 9 of 9 files classified in 0.1 s\n.jpg"
REWRITTEN = "carriage\rreturn.jpg"
REVERSED = "photo\u202egpj.exe.jpg"
CSI = "c1\x9b2J.jpg"
NAMES = [FORMULA, FORGED, REWRITTEN, REVERSED, CSI]
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
# The progress bar's own control characters: a redraw (`\r 37% [`) and erase-line (`\r\x1b[K`).
OUR_REDRAWS = re.compile(r"\r(\x1b\[K|(?=\s*\d+% \[))")


@pytest.fixture
def hostile_names(tmp_path):
    """Photos under hostile names, plus an empty file under one (for a stderr line)."""
    folder = tmp_path / "photos"
    for name in NAMES:
        plain_jpeg(folder / name)
    (folder / f"empty {FORMULA}").write_bytes(b"")
    return folder


def visible(stream: bytes) -> str:
    """What stays on a terminal: each line as its last `\\r` (our progress bar's redraw) left
    it, with our own erase-line sequence after it removed; lines left empty dropped."""
    lines = []
    for line in stream.decode("utf-8").split("\n"):
        last = line.rsplit("\r", 1)[-1].removeprefix("\x1b[K")
        if last:
            lines.append(last)
    return "".join(f"{line}\n" for line in lines)


@pytest.mark.parametrize("progress", ["--no-progress", "--progress"])
def test_table_and_stderr_escape_control_characters(progress, hostile_names, tiny_model_dir):
    run = run_classify(hostile_names, "-m", tiny_model_dir, progress)
    assert run.returncode == exit_codes.SOME_FILES_FAILED, run.stderr.decode()
    table, stderr = run.stdout.decode("utf-8"), visible(run.stderr)
    assert not UNSAFE.search(table), table
    assert not UNSAFE.search(OUR_REDRAWS.sub("", run.stderr.decode("utf-8"))), run.stderr
    assert len(table.splitlines()) == 1 + len(NAMES) + 1  # header, a line per file
    # One line for the empty file, then the summary: no line forged by a name.
    [failed, summary] = stderr.splitlines()
    assert failed.startswith(f"edgeclass: {hostile_names}/empty =HYPERLINK(")
    assert "\\x1b[2J.jpg: empty_file: " in failed
    assert summary.startswith("edgeclass: 5 of 6 files classified, 1 failed (1 empty_file) in ")
    for name in NAMES:
        exact = base64.b64encode(os.fsencode(hostile_names / name)).decode()
        assert f"(exact name, base64: {exact})" in table
    assert "x.jpg\\nedgeclass: 9 of 9 files classified in 0.1 s\\n.jpg" in table
    assert "carriage\\rreturn.jpg" in table and "photo\\u202egpj.exe.jpg" in table


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_data_formats_keep_the_exact_names(fmt, hostile_names, tiny_model_dir):
    # Relative to the folder, so that a path starts with "=" as a spreadsheet formula would.
    run = run_classify(".", "-m", tiny_model_dir, "-f", fmt, cwd=hostile_names)
    assert run.returncode == exit_codes.SOME_FILES_FAILED, run.stderr.decode()
    text = run.stdout.decode("utf-8")
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    elif fmt == "json":
        rows = json.loads(text)
    else:
        rows = [json.loads(line) for line in text.splitlines()]
    paths = [row["path"] for row in rows]
    if fmt == "csv":  # a cell a spreadsheet would run as a formula has a "'" in front
        assert paths[0] == "'" + FORMULA
        paths = [p[1:] if p.startswith("'") else p for p in paths]
    assert sorted(paths) == sorted([*NAMES, f"empty {FORMULA}"])
    assert not any(row["path_base64"] for row in rows)


def test_names_in_stderr_messages_are_escaped_too(tmp_path, tiny_model_dir):
    empty = tmp_path / "no photos \x1b[2J here"
    empty.mkdir()
    run = run_classify(empty, "-m", tiny_model_dir)
    assert run.returncode == exit_codes.DATA_ERROR
    assert visible(run.stderr) == (
        f"edgeclass: data error: no image files found in {tmp_path}/no photos \\x1b[2J here\n"
    )
    photo = plain_jpeg(tmp_path / "a.jpg")
    run = run_classify(photo, "-m", tiny_model_dir, "-o", tmp_path / "gone\n\x1b[2J" / "r.csv")
    assert run.returncode == exit_codes.USAGE
    assert "gone\\n\\x1b[2J/r.csv: folder" in visible(run.stderr)
    assert not UNSAFE.search(visible(run.stderr))
