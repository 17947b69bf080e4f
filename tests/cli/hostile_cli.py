"""Running `edgeclass classify` on hostile input: in its own process group, with a deadline, a
memory ceiling (so that a regression cannot take the shared machine down), the peak memory of
the whole group measured, and whatever it leaves running found and killed."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from process_io import signals_as_from_a_terminal

INJECTED = Path(__file__).parent / "injected"  # sitecustomize.py: see its doc
# Far above the 1 GB a run may use, far below what the machine has.
ADDRESS_SPACE_LIMIT = 4 * 2**30


def cli_env(inject: bool = False, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "EDGECLASS_MODEL"}
    if inject:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(INJECTED), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def classify_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "edgeclass", "classify", *map(str, args)]


@dataclass
class Finished:
    returncode: int | None  # None: still running at the deadline (then killed)
    stdout: bytes
    stderr: bytes
    seconds: float
    peak_mb: float  # the largest total memory (PSS) of the process group seen
    left_running: list[str]  # processes of the group still alive after it exited


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    signals_as_from_a_terminal()  # the tests signal it: it must not inherit pytest's ignores


def group_members(group: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":  # pgrp; not a zombie
                members.append(int(entry))
    return members


def _pss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def _describe(pid: int) -> str:
    try:
        return f"{pid} " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return str(pid)


def start(command: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
    """The command in a new session (its own process group), under the memory ceiling."""
    return subprocess.Popen(
        command,
        env=env,
        start_new_session=True,
        preexec_fn=_limit_memory,
        stdout=kwargs.pop("stdout", subprocess.PIPE),
        stderr=kwargs.pop("stderr", subprocess.PIPE),
        **kwargs,
    )


def finish(process: subprocess.Popen, timeout: float, started: float | None = None) -> Finished:
    """Wait for `process` (killing its whole group at the deadline) and collect what it did."""
    started = time.monotonic() if started is None else started
    peak_kb = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_kb
        while not done.is_set():
            peak_kb = max(peak_kb, sum(_pss_kb(pid) for pid in group_members(process.pid)))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        returncode: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=30)
        returncode = None
    seconds = time.monotonic() - started
    done.set()
    sampler.join(timeout=30)
    left = [_describe(pid) for pid in group_members(process.pid)]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    return Finished(returncode, stdout or b"", stderr or b"", seconds, peak_kb / 1024, left)


def run_classify(*args: object, timeout: float = 120, inject: bool = False, **kwargs) -> Finished:
    env = kwargs.pop("env", None) or cli_env(inject)
    started = time.monotonic()
    return finish(start(classify_command(*args), env, **kwargs), timeout, started)


def ghostscript_recorder(folder: Path) -> tuple[Path, Path]:
    """A `gs` for the front of PATH that notes each start in a file, then runs the real one
    (if installed): Pillow's EPS plugin finds Ghostscript on PATH. Returns (folder, notes)."""
    bin_dir = folder / "recorder-bin"
    bin_dir.mkdir()
    notes = folder / "ghostscript-started"
    real_gs = shutil.which("gs")
    script = bin_dir / "gs"
    run_real = f'exec {real_gs} "$@"' if real_gs else "exit 1"
    script.write_text(f'#!/bin/sh\necho "$$ $*" >> {notes}\n{run_real}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bin_dir, notes
