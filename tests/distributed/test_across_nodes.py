"""`--engine ray` and edgeclass.distributed on real multi-node clusters (Ray's own harness,
`ray.cluster_utils.Cluster`: a head and worker nodes, each its own raylet and object store, on
this machine), driven from another folder, with a node removed mid-run.

Every command runs in a subprocess that joins the cluster by address, as a user's would; the
cluster's workers run in this test's folder, so a relative name works only if the driver
resolved it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from edgeclass_test_images import photo_like
from PIL import Image
from process_io import signals_as_from_a_terminal
from scale_helpers import assert_same_rows, bad_files

from edgeclass.cli import exit_codes
from edgeclass.runtime import Classifier, find_images

cluster_utils = pytest.importorskip(
    "ray.cluster_utils", reason="the scale extra (Ray Data) is not installed"
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    """A head and two worker nodes, one CPU each."""
    nodes = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    workers = [nodes.add_node(num_cpus=1) for _ in range(2)]
    nodes.wait_for_nodes()
    try:
        yield nodes, workers
    finally:
        nodes.shutdown()


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """A folder of 480 small photos and the runtime's bad files, in sub-folders."""
    root = tmp_path_factory.mktemp("cwd")
    folder = root / "photos" / "many"
    folder.mkdir(parents=True)
    for index in range(480):
        Image.fromarray(photo_like(64, 48, seed=index)).save(folder / f"{index:03d}.jpg")
    bad_files(root / "photos" / "bad")
    return root


def _local_rows(model_dir: Path, cwd: Path, names: list[str], top_k: int = 1) -> list[dict]:
    here = Path.cwd()
    os.chdir(cwd)  # as `edgeclass classify` run there would name them
    try:
        files = find_images(names, recursive=True)
        classifier = Classifier(model_dir, threads=1)
        return [r.to_dict() for r in classifier.classify_paths(files, top_k=top_k)]
    finally:
        os.chdir(here)


def _command(address: str, model_dir: Path, *args: object) -> list[str]:
    return [
        sys.executable, "-m", "edgeclass", "classify", *map(str, args), "-r",
        "--engine", "ray", "--ray-address", address, "--model", str(model_dir),
    ]  # fmt: skip


def _json_lines(stdout: str) -> list[dict]:
    """Every line of stdout as JSON: a line of anything else fails here."""
    return [json.loads(line) for line in stdout.splitlines()]


def test_relative_paths_from_another_folder_give_the_local_rows(cluster, photos, tiny_model_dir):
    nodes, _ = cluster
    done = subprocess.run(
        _command(nodes.address, tiny_model_dir, "photos", "-f", "jsonl", "-k", "2"),
        cwd=photos,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == exit_codes.SOME_FILES_FAILED, done.stderr
    rows = _json_lines(done.stdout)
    assert rows[0]["path"].startswith("photos/"), rows[0]  # as given: relative
    assert_same_rows(rows, _local_rows(tiny_model_dir, photos, ["photos"], top_k=2))
    assert Counter(row["status"] for row in rows)["ok"] > 400


def test_read_binary_files_with_default_actors_and_too_many_actors_finishes(
    cluster, photos, tiny_model_dir
):
    """The documented object-store path: Ray Data's read tasks need a CPU beside the actors."""
    nodes, _ = cluster
    script = """
import json, sys, ray
from edgeclass.distributed import classify_dataset
ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
ray.data.DataContext.get_current().enable_progress_bars = False
for actors in (None, 32):
    images = ray.data.read_binary_files(sys.argv[2], include_paths=True)
    rows = classify_dataset(images, sys.argv[3], actors=actors).take_all()
    print(json.dumps(sorted(rows, key=lambda row: row["path"])))
"""
    folder = photos / "photos" / "many"
    done = subprocess.run(
        [sys.executable, "-c", script, nodes.address, str(folder), str(tiny_model_dir)],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    default_actors, too_many = _json_lines(done.stdout)
    expected = _local_rows(tiny_model_dir, photos, [str(folder)])
    assert_same_rows(default_actors, expected)
    assert_same_rows(too_many, expected)
    assert "32 actors asked for; the cluster has room for" in done.stderr


def test_a_node_removed_mid_run_keeps_stdout_pure_jsonl(cluster, photos, tiny_model_dir):
    """Rows complete and in order (or a clean failure), and nothing but JSON lines on stdout,
    though Ray has a lot to say about the lost node."""
    nodes, workers = cluster
    command = _command(nodes.address, tiny_model_dir, "photos", "-f", "jsonl", "--progress")
    process = subprocess.Popen(
        command, cwd=photos, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stderr: list[str] = []
    progressed = threading.Event()

    def read_stderr() -> None:
        for chunk in iter(lambda: process.stderr.read(64), ""):
            stderr.append(chunk)
            if "images/s" in "".join(stderr[-4:]):
                progressed.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert progressed.wait(timeout=240), "".join(stderr)[-3000:]
        nodes.remove_node(workers[0], allow_graceful=False)
        stdout, _ = process.communicate(timeout=400)
    finally:
        process.kill()
        reader.join(timeout=10)
    text = "".join(stderr)
    rows = _json_lines(stdout)
    if process.returncode == exit_codes.SOME_FILES_FAILED:
        assert_same_rows(rows, _local_rows(tiny_model_dir, photos, ["photos"]))
    else:  # a clean failure: a message, no traceback
        assert process.returncode == exit_codes.USAGE, text[-3000:]
        assert "Traceback" not in text
    workers.remove(workers[0])


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, exit_codes.INTERRUPTED)]
)
def test_sigterm_and_ctrl_c_stop_like_the_local_engine(
    cluster, photos, tiny_model_dir, signum, code
):
    nodes, _ = cluster
    output = photos / "stopped" / "results.jsonl"
    output.parent.mkdir(exist_ok=True)
    command = _command(nodes.address, tiny_model_dir, "photos", "-o", output, "--progress")
    process = subprocess.Popen(
        command,
        cwd=photos,
        stderr=subprocess.PIPE,
        text=True,
        stdout=subprocess.DEVNULL,
        preexec_fn=signals_as_from_a_terminal,  # not pytest's ignored SIGINT, if it has one
    )
    seen = ""
    deadline = time.monotonic() + 240
    while "images/s" not in seen and time.monotonic() < deadline and process.poll() is None:
        seen += process.stderr.read(32)
    process.send_signal(signum)
    _, rest = process.communicate(timeout=60)
    assert process.returncode == code, (seen + rest)[-3000:]
    assert "Traceback" not in seen + rest
    assert list(output.parent.iterdir()) == []  # no results, no temp file
