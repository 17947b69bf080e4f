"""Progress of a classification on the cluster, and a stall detector built on it.

Every actor adds the rows it classified to a `RowCounter`, a CPU-less actor pinned to the
driver's node (a node lost mid-run cannot take it along). The driver reads the count: that is the
progress of a Parquet run (whose rows never come back here), and a count that stops moving for
`stall_timeout` seconds ends the run with `ClusterStalled` instead of a wait without end.
Counting at the actors, not at the driver, keeps a run alive while rows are held back only to keep
them in order (a block retried after a node was lost).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import ray

from edgeclass.errors import EdgeclassError

T = TypeVar("T")
# Start-up (actors importing onnxruntime, loading the model: up to a minute on a loaded
# machine) and a node's loss (Ray declares it dead after about 30 s, then retries its work) both
# fit well inside; a cluster that cannot place its actors or tasks never moves at all.
DEFAULT_STALL_TIMEOUT_S = 300.0
POLL_S = 0.25


class ClusterStalled(EdgeclassError):
    """No row was classified anywhere on the cluster for `stall_timeout` seconds."""


@ray.remote(num_cpus=0)
class _Counter:
    def __init__(self) -> None:
        self.rows = 0

    def add(self, rows: int) -> None:
        self.rows += rows

    def total(self) -> int:
        return self.rows


class RowCounter:
    """Rows classified so far, over all actors (a retried block counts again)."""

    def __init__(self) -> None:
        here = ray.get_runtime_context().get_node_id()
        strategy = ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(here, soft=False)
        self.actor = _Counter.options(scheduling_strategy=strategy).remote()  # type: ignore[attr-defined]

    def add(self, rows: int) -> None:
        """From an actor: fire and forget."""
        self.actor.add.remote(rows)

    def total(self) -> int:
        return int(ray.get(self.actor.total.remote(), timeout=30))


def _stall_message(seconds: float, done: int) -> str:
    cluster: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    free: dict[str, float] = ray.available_resources()  # type: ignore[no-untyped-call]
    return (
        f"the Ray cluster classified no image for {seconds:.0f} s ({done} rows done); stopped. "
        f"CPUs: {free.get('CPU', 0):g} free of {cluster.get('CPU', 0):g}. The actors may not fit "
        "(--threads larger than a node, a node lost), or a task upstream may be stuck; "
        "`ray status` shows what waits. --stall-timeout sets how long to wait"
    )


def run_watched(
    work: Callable[[], T],
    counter: RowCounter,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT_S,
    on_count: Callable[[int], None] | None = None,
) -> T:
    """`work()` run in a thread while this thread watches the counter (and stays responsive to
    signals); its result, its exception, or ClusterStalled."""
    outcome: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def target() -> None:
        try:
            outcome.put((True, work()))
        except BaseException as error:  # handed to the watching thread, raised there
            outcome.put((False, error))

    threading.Thread(target=target, name="edgeclass-ray-work", daemon=True).start()
    watch = _Watch(counter, stall_timeout, on_count)
    while True:
        try:
            ok, value = outcome.get(timeout=POLL_S)
        except queue.Empty:
            watch.check()
            continue
        if ok:
            return value  # type: ignore[no-any-return]
        raise value


def watched_rows(
    rows: Iterator[T],
    counter: RowCounter,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT_S,
) -> Iterator[T]:
    """`rows`, iterated in a thread and handed over here as they come, or ClusterStalled."""
    handover: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1024)
    stop = threading.Event()

    def target() -> None:
        try:
            for row in rows:
                while not stop.is_set():
                    try:
                        handover.put(("row", row), timeout=POLL_S)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handover.put(("end", None))
        except BaseException as error:
            handover.put(("error", error))

    threading.Thread(target=target, name="edgeclass-ray-rows", daemon=True).start()
    watch = _Watch(counter, stall_timeout)
    try:
        while True:
            try:
                kind, value = handover.get(timeout=POLL_S)
            except queue.Empty:
                watch.check()
                continue
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


class _Watch:
    def __init__(
        self,
        counter: RowCounter,
        stall_timeout: float,
        on_count: Callable[[int], None] | None = None,
    ) -> None:
        self.counter = counter
        self.stall_timeout = stall_timeout
        self.on_count = on_count
        self.count = 0
        self.moved = self.asked = time.monotonic()

    def check(self) -> None:
        now = time.monotonic()
        if now - self.asked < 1.0:
            return
        self.asked = now
        count = self.counter.total()
        if count != self.count:
            self.count, self.moved = count, now
            if self.on_count is not None:
                self.on_count(count)
        elif now - self.moved > self.stall_timeout:
            raise ClusterStalled(_stall_message(now - self.moved, count))
