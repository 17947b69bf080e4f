"""The stall detector: a pipeline that stops moving ends with ClusterStalled, not a wait without
end (here a real upstream task that never returns, on a real local Ray)."""

from __future__ import annotations

import time

import pytest

ray = pytest.importorskip("ray", reason="the scale extra (Ray Data) is not installed")
import edgeclass.distributed as distributed  # noqa: E402


@pytest.mark.slow
# Ray Data's executor thread, still waiting on the stuck task, ends with the module's
# ray.shutdown(): its exception there is expected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_pipeline_that_never_moves_fails_with_a_clear_message(local_ray, tiny_model_dir):
    def _never_returns(batch):  # defined here: sent to the workers by value, not by module
        time.sleep(3600)
        return batch

    stuck = ray.data.from_items([{"path": b"a.jpg"}] * 4).map_batches(_never_returns)
    counter = distributed.RowCounter()
    classified = distributed.classify_dataset(stuck, tiny_model_dir, actors=1, counter=counter)
    with pytest.raises(distributed.ClusterStalled, match="classified no image for"):
        list(distributed.results_from_dataset(classified, counter, stall_timeout=5))
