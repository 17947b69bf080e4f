"""Nothing leaves this computer: every entry point, run as a user would in a throw-away HOME,
writes only what it was asked to write and sends nothing anywhere.

Each program runs under strace (tests/privacy_probe.py), which sees every connection and
datagram of every thread and child process; the sandbox folder (HOME, XDG folders, TMPDIR and
the working directory) is listed before and after. The first test checks the check: plain
onnxruntime, without edgeclass's opt-out, is caught writing its device id and looking up its
telemetry host, so a pass below means something.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from edgeclass_test_images import photo_like
from PIL import Image
from privacy_probe import (
    NO_STRACE,
    ORT_TELEMETRY_DIR,
    ORT_TELEMETRY_HOST,
    STRACE,
    Sandbox,
    assert_private,
    attempts,
    free_port,
    stop,
    traced,
    wait_until,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="strace and /proc: Linux only"
)

TIMEOUT_S = 300
# onnxruntime 1.32 sends its first events about 9 s after it starts (measured under strace on a
# loaded machine); a long-lived program is kept running past that before it is judged.
TELEMETRY_DELAY_S = 15
BIN = Path(sys.executable).parent
# Ray 2.60 starts a dashboard process even without the dashboard, only for usage statistics,
# and it asks the cloud metadata services which cloud it runs on, whether or not usage
# statistics are off (ray/dashboard/modules/usage_stats/usage_stats_head.py, `run`). Ray's,
# not onnxruntime's: the only network traffic allowed, and only in the Ray test.
RAY_CLOUD_PROBE = {("dns", "metadata.google.internal"), ("tcp", "169.254.169.254:80")}


def _sandbox(root: Path) -> Sandbox:
    box = Sandbox(root / "sandbox")
    photos = box.work / "photos"
    photos.mkdir()
    for index in range(4):
        Image.fromarray(photo_like(96, 80, seed=index)).save(photos / f"photo_{index}.jpg")
    box.snapshot()
    return box


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    return _sandbox(tmp_path)


@pytest.fixture
def short_sandbox() -> Iterator[Sandbox]:
    """For Ray, whose socket paths under TMPDIR must stay under 108 bytes."""
    with tempfile.TemporaryDirectory(prefix="ec-", dir="/tmp") as root:
        yield _sandbox(Path(root))


def run_traced(box: Sandbox, command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        traced(command, box.trace_log),
        cwd=box.work,
        env=box.env(**env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def edgeclass(*args: object) -> list[str]:
    return [sys.executable, "-m", "edgeclass", *map(str, args)]


# --- the check of the check --------------------------------------------------------------------


def _has_telemetry() -> bool:
    import onnxruntime

    library = Path(onnxruntime.__file__).parent / "capi"
    return any(
        ORT_TELEMETRY_HOST.encode() in path.read_bytes()
        for path in library.glob("*.so*")
        if path.is_file()
    )


@pytest.mark.slow
def test_the_probe_catches_onnxruntime_telemetry_without_the_opt_out(sandbox, tiny_model_dir):
    if not _has_telemetry():
        pytest.skip("this onnxruntime build has no telemetry to catch")
    code = (
        "import time, onnxruntime; "
        f"onnxruntime.InferenceSession({str(tiny_model_dir / 'model.onnx')!r}, "
        "providers=['CPUExecutionProvider']); time.sleep(60)"
    )
    log = sandbox.trace_log
    process = subprocess.Popen(
        traced([sys.executable, "-c", code], log),
        cwd=sandbox.work,
        env=sandbox.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        telemetry = sandbox.home / ORT_TELEMETRY_DIR
        wait_until(lambda: (telemetry / "deviceid").is_file(), 30, "onnxruntime's device id")
        if STRACE is not None:
            wait_until(
                lambda: ("dns", ORT_TELEMETRY_HOST) in attempts(sandbox),
                45,
                f"a lookup of {ORT_TELEMETRY_HOST}",
            )
    finally:
        stop(process)


# --- the command line ------------------------------------------------------------------------


def test_classify(sandbox, tiny_model_dir):
    done = run_traced(
        sandbox, edgeclass("classify", "photos", "-m", tiny_model_dir, "-o", "out.csv", "-q")
    )
    assert done.returncode == 0, done.stderr
    assert_private(sandbox, allowed=("work/out.csv",))


def test_evaluate(sandbox, tiny_model_dir):
    for label in ("cat", "dog"):
        (sandbox.work / "labelled" / label).mkdir(parents=True)
    for index, photo in enumerate(sorted((sandbox.work / "photos").iterdir())):
        photo.rename(sandbox.work / "labelled" / ("cat", "dog")[index % 2] / photo.name)
    sandbox.snapshot()
    done = run_traced(sandbox, edgeclass("evaluate", "labelled", "-m", tiny_model_dir, "-q"))
    assert done.returncode == 0, done.stderr
    assert "accuracy" in done.stdout.lower()
    assert_private(sandbox)


def test_explain(sandbox, tiny_model_dir):
    done = run_traced(
        sandbox,
        edgeclass("explain", "photos/photo_0.jpg", "-m", tiny_model_dir, "-o", "heat.png"),
    )
    assert done.returncode == 0, done.stderr
    assert_private(sandbox, allowed=("work/heat.png",))


def test_sort(sandbox, tiny_model_dir):
    done = run_traced(
        sandbox, edgeclass("sort", "photos", "--into", "sorted", "-m", tiny_model_dir, "-q")
    )
    assert done.returncode == 0, done.stderr
    assert len(list((sandbox.work / "sorted").rglob("*.jpg"))) == 4
    assert_private(sandbox, allowed=("work/sorted/",))


def test_the_python_api(sandbox, tiny_model_dir):
    code = (
        "from pathlib import Path; from edgeclass.runtime import Classifier; "
        f"c = Classifier({str(tiny_model_dir)!r}); "
        "print(sum(r.ok for r in c.classify_paths(sorted(Path('photos').iterdir()))))"
    )
    done = run_traced(sandbox, [sys.executable, "-c", code])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4"
    assert_private(sandbox)


# --- the server ----------------------------------------------------------------------------


@pytest.mark.slow
def test_serve(sandbox, tiny_model_dir):
    pytest.importorskip("uvicorn", reason="the `serve` extra is not installed")
    port = free_port()
    command = edgeclass("serve", "-m", tiny_model_dir, "--port", port)
    process = subprocess.Popen(
        traced(command, sandbox.trace_log),
        cwd=sandbox.work,
        env=sandbox.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    started = time.monotonic()
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, 120, "the server to be ready")
        photo = (sandbox.work / "photos" / "photo_0.jpg").read_bytes()
        response = httpx.post(
            f"{url}/v1/classify", files=[("files", ("a.jpg", photo, "image/jpeg"))], timeout=60
        )
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["status"] == "ok"
        time.sleep(max(0.0, TELEMETRY_DELAY_S - (time.monotonic() - started)))
    finally:
        stop(process)
    assert_private(sandbox)


# --- the desktop app -------------------------------------------------------------------------


def test_desktop_self_test(sandbox, tiny_model_dir):
    pytest.importorskip("PySide6", reason="the `desktop` extra is not installed")
    script = BIN / "edgeclass-desktop"
    start = [str(script)] if script.is_file() else [sys.executable, "-m", "edgeclass.desktop"]
    done = run_traced(sandbox, [*start, "--self-test", "--model", str(tiny_model_dir)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert_private(sandbox)


# --- Ray -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ray_actors(short_sandbox, tiny_model_dir):
    sandbox = short_sandbox
    pytest.importorskip("ray", reason="the scale extra (Ray Data) is not installed")
    command = edgeclass("classify", "photos", "--engine", "ray", "--actors", "1", "-q")
    done = run_traced(sandbox, [*command, "-m", str(tiny_model_dir), "-f", "csv", "-o", "out.csv"])
    assert done.returncode == 0, done.stderr
    assert len((sandbox.work / "out.csv").read_text().splitlines()) == 5
    # Not even Ray's own: the run's Ray keeps its session folder (logs, sockets) in a temporary
    # folder it removes, and its token in its processes' environment, not in ~/.ray.
    assert sandbox.new_paths() == ["work/out.csv"]
    if STRACE is None:
        pytest.skip(NO_STRACE + " (the files half passed)")
    assert set(attempts(sandbox)) <= RAY_CLOUD_PROBE
