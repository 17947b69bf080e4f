"""Progress of a classification on the cluster, and a stall detector built on it.

Every actor adds the rows it classified to a `RowCounter`, a CPU-less actor pinned to the
driver's node (a node lost mid-run cannot take it along). A thread of the driver reads the
count: that is the progress of a Parquet run (whose rows never come back here), and a count that
stops moving for `stall_timeout` seconds ends the run with `ClusterStalled` instead of a wait
without end.
Counting at the actors, not at the driver, keeps a run alive while rows are held back only to keep
them in order (a block retried after a node was lost).
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

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


class _Stalled(BaseException):
    """Raised in the main thread by the watcher's signal; turned into ClusterStalled."""


# The signal the watcher raises in the main thread: one nobody else uses where there is one.
_WAKE_SIGNAL = getattr(signal, "SIGUSR1", signal.SIGINT)


@contextlib.contextmanager
def stall_watch(
    counter: RowCounter,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT_S,
    on_count: Callable[[int], None] | None = None,
) -> Iterator[None]:
    """Run the block (Ray Data's work: iterating, writing) here, in the main thread, while a
    thread watches the counter; when it stops moving for `stall_timeout` s, the block is
    interrupted and ClusterStalled raised.

    The work stays in the main thread so that Ctrl+C, SIGTERM or a stall end it there, inside
    Ray Data's own code, which then shuts its execution down before Ray stops. Outside the main
    thread (where signals cannot reach) the block runs unwatched.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stalled: list[str] = []
    done = threading.Event()

    def raise_stalled(signum: int, frame: object) -> None:
        raise _Stalled

    def watch() -> None:
        watcher = _Watch(counter, stall_timeout, on_count)
        while not done.wait(POLL_S):
            try:
                watcher.check()
            except ClusterStalled as error:
                stalled.append(str(error))
                _thread.interrupt_main(_WAKE_SIGNAL)
                return
            except Exception:  # the counter out of reach (Ray stopping): nothing to watch
                return

    previous = signal.signal(_WAKE_SIGNAL, raise_stalled)
    thread = threading.Thread(target=watch, name="edgeclass-stall-watch", daemon=True)
    thread.start()
    try:
        yield
    except _Stalled:
        raise ClusterStalled(stalled[0]) from None
    finally:
        done.set()
        thread.join(timeout=5)
        signal.signal(_WAKE_SIGNAL, previous)


def watched_rows(
    rows: Iterable[T],
    counter: RowCounter,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT_S,
) -> Iterator[T]:
    """`rows`, or ClusterStalled when the counter stops moving (see `stall_watch`)."""
    with stall_watch(counter, stall_timeout):
        yield from rows


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
