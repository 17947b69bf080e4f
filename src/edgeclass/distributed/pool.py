"""How many model actors a cluster can host, and how many CPUs each reserves, without deadlock.

Ray Data runs the tasks around the actor pool (reading files: `read_binary_files`; writing
Parquet) as tasks that each need a whole CPU. A pool that reserves every CPU of the cluster
leaves them none, and the run waits forever ("Active & requested resources: 3/2 CPU"). So the
pool is sized from the nodes as they are:

- each actor reserves whole CPUs (`threads`, at most the largest node's count), never a
  fraction: on several nodes, fractions leave half a CPU free here and half there, which no
  task can use;
- when other tasks will need a CPU, one whole CPU stays free on some node: counts are whole
  numbers, so one actor slot left empty, or a node whose CPUs do not divide by `threads`, is
  a free CPU wherever Ray places the actors;
- asking for more actors than fit starts as many as fit, and lets Ray Data's autoscaler add
  the rest if the cluster grows (an autoscaling cluster adds nodes on demand).
"""

from __future__ import annotations

from dataclasses import dataclass

import ray


@dataclass(frozen=True)
class PoolPlan:
    min_actors: int
    max_actors: int
    cpus_per_actor: float

    @property
    def compute(self) -> ray.data.ActorPoolStrategy:
        if self.min_actors == self.max_actors:
            return ray.data.ActorPoolStrategy(size=self.min_actors)
        return ray.data.ActorPoolStrategy(min_size=self.min_actors, max_size=self.max_actors)


def node_cpus() -> list[int]:
    """Whole CPUs of each live node of the connected cluster."""
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    cpus = [int(node.get("Resources", {}).get("CPU", 0)) for node in nodes]
    if not any(cpus):  # no per-node view (Ray Client on some versions): the cluster as one node
        cpus = [int(ray.cluster_resources().get("CPU", 0))]  # type: ignore[no-untyped-call]
    return [count for count in cpus if count > 0]


def plan_pool(
    cpus: list[int], threads: int, wanted: int | None, reserve_for_tasks: bool
) -> PoolPlan:
    """The pool for nodes with `cpus` CPUs each: `wanted` actors (default: all that fit) of
    `threads` onnxruntime threads, with a whole CPU left free when `reserve_for_tasks`."""
    largest = max(cpus, default=1)
    per_actor = min(threads, largest)
    slots = sum(count // per_actor for count in cpus)
    has_spare_cpu = any(count % per_actor for count in cpus)
    fits = slots - 1 if reserve_for_tasks and not has_spare_cpu else slots
    if fits >= 1:
        size = fits if wanted is None else min(wanted, fits)
        return PoolPlan(size, max(size, wanted or size), float(per_actor))
    # One actor alone would fill the only node: it reserves all but the CPU the tasks need
    # (none on a 1-CPU node, where the tasks and the actor share the core).
    return PoolPlan(1, max(1, wanted or 1), float(largest - 1))
