"""Ray for the tests of this folder: never a cluster already running on the machine.

`ray.init()` without an address joins whatever RAY_ADDRESS or the last `ray start` on this
machine names; the tests start their own Ray (`address="local"`) or their own multi-node cluster
(`ray.cluster_utils.Cluster`), with RAY_ADDRESS removed, session files in a short private
temporary folder (RAY_TMPDIR: not /tmp/ray, where `ray.init()` elsewhere would find them) and token
authentication off (RAY_AUTH_MODE=disabled: on, Ray would look for ~/.ray/auth_token or make one).
Subprocesses inherit all three; the CLI's own private Ray, token included, is tested with them
removed (test_cli_engine_ray.py).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

# Before any test module imports Ray (Ray reads it once): no Ray call starts a Ray by itself, not
# even one from Ray Data's threads after a test's `ray.shutdown()`.
os.environ["RAY_ENABLE_AUTO_CONNECT"] = "0"

RAY_ENV = ("RAY_ADDRESS", "RAY_TMPDIR", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE")


@pytest.fixture(scope="package", autouse=True)
def private_ray_environment() -> Iterator[str]:
    """RAY_TMPDIR (short: Ray's socket paths have a 107-byte limit), no token, no address."""
    saved = {name: os.environ.get(name) for name in (*RAY_ENV, "RAY_USAGE_STATS_ENABLED")}
    folder = tempfile.mkdtemp(prefix="ectest-", dir="/tmp" if os.path.isdir("/tmp") else None)
    for name in RAY_ENV:
        os.environ.pop(name, None)
    os.environ["RAY_TMPDIR"] = folder
    os.environ["RAY_AUTH_MODE"] = "disabled"
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    try:
        yield folder
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[str]:
    """A Ray of this module's own (2 CPUs, no dashboard); yields the address a `--ray-address`
    subprocess joins it by."""
    ray = pytest.importorskip("ray", reason="the scale extra (Ray Data) is not installed")
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
    )
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
