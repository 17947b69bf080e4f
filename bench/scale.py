"""Benchmark `edgeclass classify --engine ray`: a local 2-CPU Ray, and a 2-node cluster of 1 CPU
each, against the local engine.

    python bench/scale.py            # prints one JSON object on stdout

Same 1,000 photos (../shared/data/catsdogs/test), same model (the bundled one, or --model),
same machine, measured side by side in one run because the machine is shared and noisy:

  in_process    rounds alternating between Classifier.classify_paths (2 onnxruntime threads,
                decoding on threads, as `classify` runs it) and edgeclass.distributed on a Ray
                started here with 2 CPUs (2 actors x 1 thread), each on the 1,000 photos and on
                them twice (2,000 rows). Each Ray run is a new Dataset execution, so it pays its
                actors' start-up and model load; the marginal rate, 1,000 / (time of 2,000 -
                time of 1,000), is what a long run sees once started, for both engines alike.
  two_nodes     the same rounds on a 2-node cluster (Ray's multi-node harness,
                ray.cluster_utils.Cluster: a head and a worker node of 1 CPU each, so 2 CPUs as
                above, on this machine): what crossing nodes costs (scheduling, the model and
                the rows through two object stores), measured beside the local engine again.
  cli           one `edgeclass classify` subprocess per engine, start-up included (the Ray one
                starts its own local Ray, as a user's first run would).

Model loads are counted from the rows' model_instance column (host:pid:load number in that
process): one per actor means every actor loaded the model once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from classify_folder import _cpu_isa

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = REPO_ROOT.parent / "shared" / "data" / "catsdogs" / "test"


def _seconds(rows) -> tuple[list, float]:
    started = time.perf_counter()
    got = list(rows)
    return got, time.perf_counter() - started


def in_process(
    files: list[Path], model_dir: Path, rounds: int, threads: int, nodes: int = 1
) -> dict:
    import ray
    from ray.cluster_utils import Cluster

    from edgeclass import distributed
    from edgeclass.runtime import Classifier

    started = time.perf_counter()
    cluster = None
    if nodes == 1:
        ray.init(
            address="local",
            num_cpus=2,
            include_dashboard=False,
            logging_level="ERROR",
            log_to_driver=False,
        )
    else:
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
    ray_start_s = time.perf_counter() - started
    load_at_start = round(os.getloadavg()[0], 2)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    classifier = Classifier(model_dir, threads=threads)
    list(classifier.classify_paths(files[:8]))  # warm-up
    model = distributed.ModelFiles.read(model_dir)

    def on_ray(paths: list[Path]) -> tuple[list, float]:
        dataset = distributed.classify_dataset(
            distributed.files_dataset(paths), model, report_model_instance=True
        )
        return _seconds(dataset.iter_rows())

    n = len(files)
    twice = files + files
    seconds: dict[str, dict[int, list[float]]] = {
        "local": {n: [], 2 * n: []},
        "ray": {n: [], 2 * n: []},
    }
    loads: Counter[str] = Counter()
    agree = 0
    try:
        for _ in range(rounds):
            for paths in (files, twice):
                local, elapsed = _seconds(classifier.classify_paths(paths, top_k=1))
                seconds["local"][len(paths)].append(elapsed)
                rows, elapsed = on_ray(paths)
                seconds["ray"][len(paths)].append(elapsed)
                loads.update(row["model_instance"] for row in rows)
                agree += sum(
                    r.label == row["label"] and abs(r.score - row["score"]) <= 1e-6
                    for r, row in zip(local, rows, strict=True)
                )
    finally:
        ray.shutdown()
        if cluster is not None:
            cluster.shutdown()
    # The second 1,000 images of a 2,000-image run cost what a long run's images cost: start-up
    # (Ray's actors starting, loading the model) cancels out of the difference.
    marginal = {
        name: statistics.median(
            n / (long - short) for short, long in zip(by_size[n], by_size[2 * n], strict=True)
        )
        for name, by_size in seconds.items()
    }
    whole = {
        name: statistics.median(n / t for t in by_size[n]) for name, by_size in seconds.items()
    }
    load_numbers = [int(instance.rsplit(":", 1)[1]) for instance in loads]
    return {
        "rounds": rounds,
        "ray_nodes": nodes,
        "ray_init_s": round(ray_start_s, 1),
        "load_average_1min": {"start": load_at_start, "end": round(os.getloadavg()[0], 2)},
        "local_threads": threads,
        "ray_actors_x_threads": "2 x 1",
        "images_per_s_local_marginal": round(marginal["local"], 1),
        "images_per_s_ray_marginal": round(marginal["ray"], 1),
        "ratio_ray_vs_local_marginal": round(marginal["ray"] / marginal["local"], 3),
        "images_per_s_local_1000_run": round(whole["local"], 1),
        "images_per_s_ray_1000_run_with_actor_start": round(whole["ray"], 1),
        "ratio_ray_vs_local_1000_run": round(whole["ray"] / whole["local"], 3),
        "seconds_per_run": {
            name: {str(size): [round(t, 1) for t in times] for size, times in by_size.items()}
            for name, by_size in seconds.items()
        },
        "rows_identical_to_local_label_and_score_1e-6": agree == rounds * 3 * n,
        "model_loads": {
            "actors_seen": len(loads),
            "expected_actors": 2 * 2 * rounds,
            "max_loads_in_one_process": max(load_numbers),
            "rows_per_actor": sorted(loads.values()),
        },
    }


def cli(images: Path, model_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "EDGECLASS_MODEL"}
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("local", "ray"):
            output = Path(tmp) / f"{engine}.jsonl"
            command = [
                sys.executable, "-m", "edgeclass", "classify", str(images), "-r", "-q",
                "--model", str(model_dir), "-f", "jsonl", "-o", str(output),
                "--engine", engine,
            ]  # fmt: skip
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            wall = time.perf_counter() - started
            count = sum(1 for _ in output.open()) if output.exists() else 0
            report[engine] = {
                "exit_code": done.returncode,
                "images": count,
                "wall_s": round(wall, 1),
                "images_per_s_including_startup": round(count / wall, 1),
            }
    report["ratio_ray_vs_local_including_startup"] = round(
        report["ray"]["images_per_s_including_startup"]
        / report["local"]["images_per_s_including_startup"],
        3,
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument("--model", type=Path, default=None, help="default: the bundled model")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="the local engine's threads")
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--no-two-nodes", action="store_true")
    args = parser.parse_args()
    if not args.images.is_dir():
        print(json.dumps({"benchmark": "scale", "skipped": f"{args.images} missing"}))
        return
    # Ray's files in a folder of this run (not /tmp/ray, where another `ray.init()` would find
    # this cluster), no authentication token to save in ~/.ray: a benchmark on this machine only.
    ray_tmp = tempfile.mkdtemp(prefix="ecbench-", dir="/tmp" if os.path.isdir("/tmp") else None)
    os.environ.update(RAY_TMPDIR=ray_tmp, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
    os.environ.pop("RAY_ADDRESS", None)
    import onnxruntime
    import ray

    from edgeclass.runtime import find_images, resolve_model_dir

    model_dir = resolve_model_dir(args.model)
    files = find_images([args.images], recursive=True)
    report: dict = {
        "benchmark": "scale",
        "images": len(files),
        "image_folder": str(args.images),
        "model": model_dir.name if args.model else "bundled default model",
        "target_ratio_ray_vs_local": 0.7,
        "in_process": in_process(files, model_dir, args.rounds, args.threads),
    }
    if not args.no_two_nodes:
        one, two = (
            report["in_process"],
            in_process(files, model_dir, args.rounds, args.threads, nodes=2),
        )
        report["two_nodes"] = two
        # Each against the local engine measured beside it, then the two ratios compared.
        report["ratio_two_nodes_vs_one_node_marginal"] = round(
            two["ratio_ray_vs_local_marginal"] / one["ratio_ray_vs_local_marginal"], 3
        )
    if not args.no_cli:
        report["cli_subprocess"] = cli(args.images, model_dir)
    report["machine"] = {
        "cpu": _cpu_isa(),
        "cpus": os.cpu_count(),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "ray": ray.__version__,
        "note": "shared machine (8 engineers on 2 cores): compare the ratios, measured side by "
        "side, not absolute rates",
    }
    print(json.dumps(report, indent=2))
    shutil.rmtree(ray_tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
