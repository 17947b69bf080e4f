"""One local Ray (2 CPUs, no dashboard) for every test of this folder, stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="package")
def local_ray() -> Iterator[str]:
    """Ray started here; yields the address a `--ray-address` subprocess joins it by."""
    ray = pytest.importorskip("ray", reason="the scale extra (Ray Data) is not installed")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
