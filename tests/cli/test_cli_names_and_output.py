"""`edgeclass classify` on odd names, odd output targets, signals and unreadable folders."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image
from process_io import finish, read_stderr_until, signals_as_from_a_terminal
from unprivileged import open_tmp_dir, run_unprivileged

from edgeclass.cli import exit_codes
from edgeclass.runtime import Status

LATIN1 = b"caf\xe9.jpg"  # a name from an old Latin-1 archive: not valid UTF-8


def cli_command(*args) -> list[str]:
    return [sys.executable, "-m", "edgeclass", "classify", *map(str, args)]


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "EDGECLASS_MODEL"}


def run_cli(*args, **kwargs) -> subprocess.CompletedProcess:
    """stdout and stderr as bytes: the tests decode them strictly as UTF-8 themselves."""
    return subprocess.run(
        cli_command(*args), capture_output=True, env=cli_env(), timeout=120, **kwargs
    )


def write_image(path: Path, size=(64, 48)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (120, 80, 40)).save(path, format="JPEG")
    return path


@pytest.fixture
def odd_names(tmp_path) -> Path:
    folder = tmp_path / "odd"
    folder.mkdir()
    write_image(folder / "plain.jpg")
    latin1 = os.fsencode(folder) + b"/" + LATIN1
    write_image(Path(os.fsdecode(latin1)))
    return folder


def parse_rows(fmt: str, text: str) -> list[dict]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    if fmt == "json":
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines()]


def exact_name(row: dict) -> bytes:
    return base64.b64decode(row["path_base64"]) if row["path_base64"] else row["path"].encode()


@pytest.mark.parametrize("to_file", [True, False], ids=["to-file", "to-stdout"])
@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_non_utf8_names_are_written_exactly(fmt, to_file, odd_names, tiny_model_dir, tmp_path):
    target = tmp_path / f"results.{fmt}"
    output = ["-o", target] if to_file else []
    proc = run_cli(odd_names, "-m", tiny_model_dir, "-f", fmt, *output)
    assert proc.returncode == exit_codes.OK, proc.stderr.decode(errors="replace")
    data = target.read_bytes() if to_file else proc.stdout
    rows = parse_rows(fmt, data.decode("utf-8"))  # strict: valid UTF-8 throughout
    assert [exact_name(row) for row in rows] == [
        os.fsencode(odd_names) + b"/" + LATIN1,
        os.fsencode(odd_names / "plain.jpg"),
    ]
    assert rows[0]["path"] == f"{odd_names}/caf\\xe9.jpg"
    assert {row["status"] for row in rows} == {"ok"}


def test_non_utf8_names_in_the_table_and_on_stderr(odd_names, tiny_model_dir):
    (odd_names / os.fsdecode(b"bad\xff.png")).write_text("not an image")
    proc = run_cli(odd_names, "-m", tiny_model_dir)
    assert proc.returncode == exit_codes.SOME_FILES_FAILED
    table = proc.stdout.decode("utf-8")
    assert f"{odd_names}/caf\\xe9.jpg" in table
    assert base64.b64encode(os.fsencode(odd_names) + b"/" + LATIN1).decode() in table
    assert f"{odd_names}/bad\\xff.png: not_an_image" in proc.stderr.decode("utf-8")


@pytest.mark.slow
def test_csv_cells_cannot_run_as_spreadsheet_formulas(tmp_path, model_copy):
    config = json.loads((model_copy / "config.json").read_text())
    config["id2label"] = {"0": "=cmd|' /C calc'!A0", "1": "+dog", "2": "bird"}
    config["label2id"] = {label: int(i) for i, label in config["id2label"].items()}
    (model_copy / "config.json").write_text(json.dumps(config))
    folder = tmp_path / "names"
    names = ["=1+2.jpg", "+3.jpg", "-4.jpg", "@SUM(A1).jpg", "\tx.jpg", "\rx.jpg", "'q.jpg"]
    names.append("ok.jpg")
    for name in names:
        write_image(folder / name)
    csv_proc = run_cli(*(folder / n for n in names), "-m", model_copy, "-f", "csv", "-k", "3")
    json_proc = run_cli(*(folder / n for n in names), "-m", model_copy, "-f", "json", "-k", "3")
    rows = parse_rows("csv", csv_proc.stdout.decode())
    originals = json.loads(json_proc.stdout)
    # relative names, so the cells start with the odd characters
    relative = run_cli("-m", model_copy, "-f", "csv", "-k", "3", "--", *names, cwd=folder)
    for row, original in zip(parse_rows("csv", relative.stdout.decode()), originals, strict=True):
        for cell in row.values():
            assert not cell or cell[0] not in "=+-@\t\r", row
        name = Path(original["path"]).name
        assert row["path"] == ("'" + name if name[0] in "=+-@\t\r'" else name)
        label = original["label"]
        assert row["label"] == ("'" + label if label[0] in "=+" else label)
    # JSON keeps the values as they are
    assert [Path(o["path"]).name for o in originals] == names
    assert {o["label"] for o in originals} <= {"=cmd|' /C calc'!A0", "+dog", "bird"}
    assert rows[0]["path"] == str(folder / "=1+2.jpg")  # absolute paths start with "/"


@pytest.fixture
def two_photos(tmp_path) -> list[Path]:
    return [write_image(tmp_path / "in" / "a.jpg"), write_image(tmp_path / "in" / "b.jpg")]


def test_output_through_a_symlink_writes_its_target(two_photos, tiny_model_dir, tmp_path):
    real = tmp_path / "store" / "results.csv"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "links" / "latest.csv"
    link.parent.mkdir()
    link.symlink_to(real)
    proc = run_cli(*two_photos, "-m", tiny_model_dir, "-f", "csv", "-o", link)
    assert proc.returncode == exit_codes.OK, proc.stderr.decode()
    assert link.is_symlink() and link.resolve() == real
    assert len(parse_rows("csv", real.read_text())) == 2
    assert [p.name for p in real.parent.iterdir()] == ["results.csv"]
    assert [p.name for p in link.parent.iterdir()] == ["latest.csv"]


def test_output_into_a_named_pipe_is_written_directly(two_photos, tiny_model_dir, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    proc = run_cli(*two_photos, "-m", tiny_model_dir, "-f", "jsonl", "-o", fifo)
    reader.join(timeout=60)
    assert proc.returncode == exit_codes.OK, proc.stderr.decode()
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the pipe, not a file renamed over it
    assert len(parse_rows("jsonl", received[0].decode())) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "pipe"]


def test_output_into_a_character_device_is_written_directly(two_photos, tiny_model_dir, tmp_path):
    null = tmp_path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except PermissionError:
        pytest.skip("cannot create a device node here (needs root)")
    proc = run_cli(*two_photos, "-m", tiny_model_dir, "-f", "csv", "-o", null)
    assert proc.returncode == exit_codes.OK, proc.stderr.decode()
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "null"]


def test_output_to_stdout_by_name_reaches_stdout(two_photos, tiny_model_dir, tmp_path):
    # /dev/stdout is a link to /proc/self/fd/1; a link of our own to it tests the same thing
    # without risking the machine's /dev/stdout should the code ever rename over it again.
    name = tmp_path / "stdout"
    name.symlink_to("/proc/self/fd/1")
    proc = run_cli(*two_photos, "-m", tiny_model_dir, "-f", "csv", "-o", name)
    assert proc.returncode == exit_codes.OK, proc.stderr.decode()
    assert len(parse_rows("csv", proc.stdout.decode())) == 2
    assert name.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "stdout"]


def test_an_existing_output_keeps_its_mode(two_photos, tiny_model_dir, tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    proc = run_cli(*two_photos, "-m", tiny_model_dir, "-f", "csv", "-o", target)
    assert proc.returncode == exit_codes.OK, proc.stderr.decode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert len(parse_rows("csv", target.read_text())) == 2


def test_a_read_only_output_is_refused_before_any_work(two_photos, tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("keep me\n")
    target.chmod(0o444)
    # a missing model would be exit 3: the output is checked first
    proc = run_cli(*two_photos, "-m", tmp_path / "no-model", "-f", "csv", "-o", target)
    assert proc.returncode == exit_codes.USAGE
    assert "read-only" in proc.stderr.decode()
    assert target.read_text() == "keep me\n"


def test_someone_elses_output_file_is_refused(two_photos, tiny_model_dir):
    if os.geteuid() != 0:
        pytest.skip("needs root to make a file that belongs to someone else")
    with open_tmp_dir() as shared:
        target = shared / "results.csv"
        target.write_text("root's\n")
        target.chmod(0o644)
        shared.chmod(0o777)  # the folder is writable, the file is not
        for photo in two_photos:
            shutil.copy(photo, shared / photo.name)
        photos = [shared / p.name for p in two_photos]
        proc = run_unprivileged(
            cli_command(*photos, "-m", tiny_model_dir, "-o", target), env=cli_env()
        )
        assert proc.returncode == exit_codes.USAGE, proc.stderr.decode()
        assert "read-only" in proc.stderr.decode()
        assert target.read_text() == "root's\n"


@pytest.mark.parametrize(
    "signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["SIGTERM", "SIGHUP"]
)
def test_termination_signals_leave_no_temp_file(signum, code, make_image, tiny_model_dir, tmp_path):
    source = make_image("big.png", size=(900, 700))
    for i in range(1000):  # seconds of work, so the signal lands mid-run
        os.link(source, source.parent / f"copy{i:04d}.png")
    target = tmp_path / "results.csv"
    target.write_text("previous run\n")
    args = [source.parent, "-m", tiny_model_dir, "-f", "csv", "-o", target, "-b", "1"]
    command = cli_command(*args, "--decode-threads", "1", "--progress")
    # As from a terminal: under `nohup` (SIGHUP ignored, inherited) classify rightly keeps going.
    proc = subprocess.Popen(
        command, stderr=subprocess.PIPE, env=cli_env(), preexec_fn=signals_as_from_a_terminal
    )
    # Results are flowing (the progress line counts them): the temp file exists.
    read_stderr_until(proc, lambda seen: b"/1001" in seen, 120, "progress line")
    proc.send_signal(signum)
    finish(proc)
    assert proc.returncode == code
    assert target.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "results.csv"]


@pytest.fixture
def locked_tree():
    """top/a.jpg, top/locked/b.jpg (folder without permission), top/z.jpg; readable by others."""
    with open_tmp_dir() as root:
        top = root / "top"
        for name in ["a.jpg", "locked/b.jpg", "z.jpg"]:
            write_image(top / name)
        (top / "locked").chmod(0o000)
        yield top


def test_unreadable_folders_are_rows_and_messages(locked_tree, tiny_model_dir):
    command = cli_command(locked_tree, "-r", "-m", tiny_model_dir, "-f", "jsonl")
    proc = run_unprivileged(command, env=cli_env())
    assert proc.returncode == exit_codes.SOME_FILES_FAILED, proc.stderr.decode()
    rows = parse_rows("jsonl", proc.stdout.decode())
    assert [(Path(r["path"]).name, r["status"]) for r in rows] == [
        ("a.jpg", "ok"),
        ("z.jpg", "ok"),
        ("locked", Status.PERMISSION_ERROR.value),
    ]
    assert f"{locked_tree / 'locked'}: permission_error" in proc.stderr.decode()


def test_an_unreadable_folder_named_directly_is_not_an_empty_one(locked_tree, tiny_model_dir):
    command = cli_command(locked_tree / "locked", "-m", tiny_model_dir, "-f", "csv")
    proc = run_unprivileged(command, env=cli_env())
    stderr = proc.stderr.decode()
    assert proc.returncode == exit_codes.SOME_FILES_FAILED, stderr
    assert "--recursive" not in stderr
    [row] = parse_rows("csv", proc.stdout.decode())
    assert row["status"] == Status.PERMISSION_ERROR.value
    assert "0 of 1 files classified, 1 failed (1 permission_error)" in stderr


def test_the_recursive_hint_only_when_there_are_sub_folders(tmp_path, tiny_model_dir):
    (tmp_path / "empty").mkdir()
    write_image(tmp_path / "nested" / "deeper" / "a.jpg")
    empty = run_cli(tmp_path / "empty", "-m", tiny_model_dir)
    nested = run_cli(tmp_path / "nested", "-m", tiny_model_dir)
    assert empty.returncode == nested.returncode == exit_codes.DATA_ERROR
    assert "--recursive" not in empty.stderr.decode()
    assert "1 sub-folder" in nested.stderr.decode() and "--recursive" in nested.stderr.decode()


def big_header_png(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims width x height (refused before decoding)."""
    import struct
    import zlib

    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    header = data[12:16] + struct.pack(">II", width, height) + data[24:29]
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(header)))
    path.write_bytes(bytes(data))
    return path


def test_summary_says_what_was_skipped_and_what_failed(tmp_path, tiny_model_dir):
    folder = tmp_path / "mixed"
    write_image(folder / "a.jpg")
    write_image(folder / "b.jpg")
    big_header_png(folder / "huge.png", 20000, 20000)
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.png").write_text("text")
    proc = run_cli(folder, "-m", tiny_model_dir, "-f", "csv")
    assert proc.returncode == exit_codes.SOME_FILES_FAILED
    summary = proc.stderr.decode().splitlines()[-1]
    assert "2 of 5 files classified, 1 skipped (1 too_large), 2 failed (1 empty_file, " in summary
    assert "1 not_an_image)" in summary


@pytest.mark.parametrize(
    "after_import",
    [
        "edgeclass.cli.main",
        "edgeclass.cli.exit_codes",
        "PIL.Image",
        "numpy",
        "onnxruntime.capi._ld_preload",
        "edgeclass.runtime",
        "edgeclass.cli.progress",
    ],
)
def test_ctrl_c_during_start_up_exits_130_quietly(after_import, make_image, tiny_model_dir):
    source = make_image("a.png")
    for i in range(2000):  # more work than start-up, even when the signal comes late
        os.link(source, source.parent / f"copy{i:04d}.png")
    command = [sys.executable, "-X", "importtime", *cli_command(source.parent)[1:]]
    command += ["-m", str(tiny_model_dir), "-f", "csv"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=cli_env(),
        preexec_fn=signals_as_from_a_terminal,
    )

    def imported(seen: bytes) -> bool:  # each line says an import has finished: start-up's clock
        lines = seen.splitlines(True)
        complete = lines if seen.endswith(b"\n") else lines[:-1]
        return any(
            line.split(b"|")[-1].strip() == after_import.encode() or b"|" not in line
            for line in complete
        )

    seen = read_stderr_until(proc, imported, 120, f"import of {after_import}")
    proc.send_signal(signal.SIGINT)
    _, rest = finish(proc)
    code = proc.returncode
    messages = [line for line in (seen + rest).splitlines(True) if b"import time:" not in line]
    assert code == exit_codes.INTERRUPTED, b"".join(messages).decode()
    assert b"".join(messages).decode() in ("", "edgeclass: interrupted\n")
