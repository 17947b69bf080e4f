"""Load-test `edgeclass serve` on loopback against a naive server and against `classify`.

    python bench/serve_load.py                 # prints one JSON object on stdout

Four things, measured in one run on the same real photos (../shared/data/catsdogs/test):
  classify   Classifier.classify_paths over the files, as `edgeclass classify` runs them;
  batched    `edgeclass serve` (dynamic batching on one onnxruntime session), in a subprocess;
  httptools  the same app under uvicorn's default httptools protocol without edgeclass's
             connection limits (what `edgeclass serve` ran before them): the cost of the limits;
  naive      a FastAPI server that decodes and runs the model once per request, no batching
             (starlette's thread pool runs the requests side by side on one session).
Each server gets closed-loop clients at concurrency 1, 8 and 32 (and 256 for the overload
check, batched only): every client sends one photo per request (`image/jpeg` body, the same
parsing for all servers) on a keep-alive connection, waits for the answer, and sends the
next. Every loop is bounded by a request count AND a time limit, and stops by itself. The levels
alternate between the servers to share the machine's noise.

Then the hostile clients, against `edgeclass serve` (batched), while /healthz is probed on a new
connection every 0.1 s (each probe must answer within 1 s):
  big_header    one request with a 40 MB header (--big-header-mb);
  slow_clients  1,100 connections that send a header line a second and never finish
                (--slow-clients), for 15 s (--hostile-seconds), past --header-timeout.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from fastapi import Request  # module level: FastAPI resolves the endpoint's annotations here

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = REPO_ROOT.parent / "shared" / "data" / "catsdogs" / "test"
HOST = "127.0.0.1"


# --- the naive server (runs in its own process: `serve_load.py --naive-server PORT`) ---------


def run_naive_server(port: int, model: str | None) -> None:
    import uvicorn
    from fastapi import FastAPI
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse

    from edgeclass.runtime import Classifier
    from edgeclass.runtime.in_memory import classify_bytes

    classifier = Classifier(model)
    app = FastAPI()

    @app.post("/v1/classify")
    async def classify(request: Request) -> JSONResponse:
        body = await request.body()
        name = request.query_params.get("name", "image")
        result = await run_in_threadpool(classify_bytes, classifier, body, name, top_k=1)
        return JSONResponse({"results": [result.to_dict()]})

    @app.get("/readyz")
    async def ready() -> dict:
        return {"status": "ready"}

    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


def run_httptools_server(port: int, model: str | None, argv: list[str]) -> None:
    """edgeclass's app under uvicorn's httptools protocol, without the connection limits."""
    import uvicorn

    from edgeclass.runtime import Classifier
    from edgeclass.serve.app import create_app
    from edgeclass.serve.config import ServeConfig

    max_batch, max_wait_ms, max_queue = argv
    config = ServeConfig(
        max_batch=int(max_batch), max_wait_ms=float(max_wait_ms), max_queue=int(max_queue)
    )
    app = create_app(Classifier(model), config)
    uvicorn.run(app, host=HOST, port=port, http="httptools", log_level="warning", access_log=False)


# --- the client ---------------------------------------------------------------------------


def request_bytes(path: Path, port: int) -> bytes:
    body = path.read_bytes()
    head = (
        f"POST /v1/classify?name={path.name} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: image/jpeg\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("closed by the server")
    status = int(status_line.split()[1])
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        key, _, value = line.decode("latin-1").partition(":")
        key = key.strip().lower()
        if key == "content-length":
            length = int(value)
        elif key == "connection" and value.strip().lower() == "close":
            close = True
    return status, await reader.readexactly(length), close


async def load(
    port: int, requests: list[bytes], concurrency: int, max_requests: int, max_seconds: float
) -> dict:
    """Closed-loop clients until `max_requests` are sent or `max_seconds` pass."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    bad_results = 0
    sent = 0
    start = time.perf_counter()
    deadline = start + max_seconds

    async def client() -> None:
        nonlocal sent, bad_results
        connection = None
        while sent < max_requests and time.perf_counter() < deadline:
            payload = requests[sent % len(requests)]
            sent += 1
            try:
                if connection is None:
                    connection = await asyncio.open_connection(HOST, port)
                reader, writer = connection
                began = time.perf_counter()
                writer.write(payload)
                await writer.drain()
                status, body, close = await asyncio.wait_for(read_response(reader), 60)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
                statuses["connection_error"] += 1
                connection = None
                continue
            latencies.append(time.perf_counter() - began)
            statuses[str(status)] += 1
            if status == 200 and json.loads(body)["results"][0]["status"] != "ok":
                bad_results += 1
            if close:
                writer.close()
                connection = None
        if connection is not None:
            connection[1].close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    ok = statuses.get("200", 0)
    ordered = sorted(latencies)

    def percentile(p: float) -> float | None:
        if not ordered:
            return None
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {
        "concurrency": concurrency,
        "requests": sent,
        "seconds": round(elapsed, 2),
        "images_per_s": round(ok / elapsed, 1),
        "p50_ms": percentile(0.50),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "mean_ms": round(1000 * statistics.fmean(latencies), 1) if latencies else None,
        "statuses": dict(statuses),
        "errors": sent - ok,
        "bad_results": bad_results,
    }


# --- hostile clients ------------------------------------------------------------------------


async def probe_health(port: int, seconds: float) -> dict:
    """GET /healthz on a new connection every 0.1 s; a probe fails without a 200 within 1 s."""
    times: list[float] = []
    failed = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 1)
            writer.write(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            status, _, _ = await asyncio.wait_for(read_response(reader), 1)
            writer.close()
            took = time.perf_counter() - start
            if status == 200 and took <= 1:
                times.append(took)
            else:
                failed += 1
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
            failed += 1
        await asyncio.sleep(max(0.1 - (time.perf_counter() - start), 0))
    ordered = sorted(times)
    return {
        "probes": len(times) + failed,
        "failed_or_over_1s": failed,
        "p50_ms": round(1000 * ordered[len(ordered) // 2], 1) if ordered else None,
        "max_ms": round(1000 * ordered[-1], 1) if ordered else None,
    }


async def big_header(port: int, megabytes: int) -> dict:
    async def attack() -> str:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
            chunk = b"a" * (1 << 20)
            for _ in range(megabytes):
                writer.write(chunk)
                await writer.drain()
            status, _, _ = await asyncio.wait_for(read_response(reader), 30)
            writer.close()
            return str(status)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
            return f"connection closed: {type(error).__name__}"

    attacker = asyncio.ensure_future(attack())
    health = await probe_health(port, 3)
    return {"megabytes": megabytes, "answer": await attacker, "health": health}


async def slow_clients(port: int, count: int, seconds: float) -> dict:
    """`count` connections sending a header line a second, never finishing their headers."""
    connections = []
    refused = 0
    for _ in range(count):
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5)
            writer.write(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n".encode())
            connections.append((reader, writer))
        except (OSError, asyncio.TimeoutError):
            refused += 1

    async def trickle() -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            for _, writer in connections:
                if not writer.is_closing():
                    writer.write(b"X-Slow: 1\r\n")
            await asyncio.sleep(1)

    async def closed_by_server(reader: asyncio.StreamReader) -> bool:
        try:
            await asyncio.wait_for(reader.read(), 2)  # to the end: only if the server closed
        except asyncio.TimeoutError:
            return False
        except OSError:  # reset
            pass
        return True

    trickler = asyncio.ensure_future(trickle())
    health = await probe_health(port, seconds)
    await trickler
    closed = sum(await asyncio.gather(*(closed_by_server(r) for r, _ in connections)))
    for _, writer in connections:
        writer.close()
    return {
        "connections": count,
        "not_opened": refused,
        "closed_by_server": closed,
        "seconds": seconds,
        "health": health,
    }


def raise_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- servers and the run -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                sock.sendall(f"GET /readyz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
                if b" 200 " in sock.recv(64):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} not ready after {timeout} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (a load-independent cost)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def batches_so_far(port: int) -> tuple[float, float]:
    """(images, batches) the batched server has run, from its /metrics."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(f"GET /metrics HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
        text = b"".join(iter(lambda: sock.recv(65536), b"")).decode()
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("edgeclass_batch_size_sum", "edgeclass_batch_size_count"):
            values[name] = float(value)
    return values["edgeclass_batch_size_sum"], values["edgeclass_batch_size_count"]


def peak_rss_mb(pid: int) -> dict:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return {"peak_rss_mb": fields.get("VmHWM"), "rss_mb": fields.get("VmRSS")}


def measure_classify(files: list[Path], model: str | None) -> dict:
    from edgeclass.runtime import Classifier

    classifier = Classifier(model)
    list(classifier.classify_paths(files[:8]))  # warm-up
    start, cpu_start = time.perf_counter(), time.process_time()
    results = list(classifier.classify_paths(files, batch_size=2, top_k=1))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "images": len(results),
        "seconds": round(elapsed, 2),
        "images_per_s": round(len(results) / elapsed, 1),
        "cpu_ms_per_image": round(1000 * cpu / len(results), 2),
        "failed": sum(not r.ok for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument("--count", type=int, default=300, help="photos to use")
    parser.add_argument("--model", default=None, help="model folder (default: bundled)")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--requests", type=int, default=600, help="per level, at most")
    parser.add_argument("--seconds", type=float, default=20.0, help="per level, at most")
    parser.add_argument("--overload", type=int, default=256, help="0 to skip")
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--max-wait-ms", type=float, default=20.0)
    parser.add_argument("--max-queue", type=int, default=64)
    parser.add_argument(
        "--serve-args", default="", help="more `edgeclass serve` options, e.g. '--threads 1'"
    )
    parser.add_argument("--big-header-mb", type=int, default=40, help="0 to skip")
    parser.add_argument("--slow-clients", type=int, default=1100, help="0 to skip")
    parser.add_argument("--hostile-seconds", type=float, default=15.0)
    parser.add_argument("--naive-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--httptools-server", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_server:
        run_naive_server(args.naive_server, args.model)
        return
    if args.httptools_server:
        port, *settings = args.httptools_server
        run_httptools_server(int(port), args.model, settings)
        return
    raise_open_file_limit()

    files = sorted(args.images.rglob("*.jpg"))
    # Interleave the classes (cat, dog, cat, ...), then take the first --count.
    by_folder: dict[Path, list[Path]] = {}
    for path in files:
        by_folder.setdefault(path.parent, []).append(path)
    files = [p for group in zip(*by_folder.values(), strict=False) for p in group][: args.count]
    if not files:
        raise SystemExit(f"no photos under {args.images}")

    model_args = ["--model", args.model] if args.model else []
    batched_port, naive_port, httptools_port = free_port(), free_port(), free_port()
    batch_settings = [str(args.max_batch), str(args.max_wait_ms), str(args.max_queue)]
    batched = subprocess.Popen(
        [
            *(sys.executable, "-m", "edgeclass", "serve", "--port", str(batched_port)),
            *model_args,
            *("--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms)),
            *("--max-queue", str(args.max_queue)),
            *args.serve_args.split(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    naive = subprocess.Popen(
        [sys.executable, __file__, "--naive-server", str(naive_port), *model_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    httptools = subprocess.Popen(
        [
            *(sys.executable, __file__, *model_args),
            *("--httptools-server", str(httptools_port), *batch_settings),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    report: dict = {}
    try:
        wait_ready(batched_port, batched)
        wait_ready(naive_port, naive)
        wait_ready(httptools_port, httptools)
        ports = (batched_port, naive_port, httptools_port)
        bodies = {port: [request_bytes(p, port) for p in files] for port in ports}
        report["classify"] = measure_classify(files, args.model)
        levels = [int(level) for level in args.levels.split(",")]
        report["batched"], report["httptools"], report["naive"] = {}, {}, {}
        servers = (
            ("batched", batched_port, batched.pid),
            ("httptools", httptools_port, httptools.pid),
            ("naive", naive_port, naive.pid),
        )
        for level in levels:
            for name, port, pid in servers:
                asyncio.run(load(port, bodies[port], level, 2 * level, 10))  # warm-up
                cpu_start = cpu_seconds(pid)
                batch_start = batches_so_far(port) if name != "naive" else None
                result = asyncio.run(load(port, bodies[port], level, args.requests, args.seconds))
                served = result["statuses"].get("200", 0)
                cpu = cpu_seconds(pid) - cpu_start
                result["server_cpu_ms_per_image"] = round(1000 * cpu / max(served, 1), 2)
                if batch_start is not None:
                    images, batches = (
                        b - a for a, b in zip(batch_start, batches_so_far(port), strict=True)
                    )
                    result["mean_batch_size"] = round(images / max(batches, 1), 2)
                report[name][f"c{level}"] = result
        report["classify_again"] = measure_classify(files, args.model)
        if args.overload:
            overload = asyncio.run(
                load(batched_port, bodies[batched_port], args.overload, 8 * args.requests, 30)
            )
            overload.update(peak_rss_mb(batched.pid))
            overload["only_200_and_503"] = set(overload["statuses"]) <= {"200", "503"}
            report["overload"] = overload
        report["server_memory_after_all"] = peak_rss_mb(batched.pid)
        if args.big_header_mb:
            report["big_header"] = asyncio.run(big_header(batched_port, args.big_header_mb))
        if args.slow_clients:
            report["slow_clients"] = asyncio.run(
                slow_clients(batched_port, args.slow_clients, args.hostile_seconds)
            )
    finally:
        for process in (batched, naive, httptools):
            process.send_signal(signal.SIGTERM)
        for process in (batched, naive, httptools):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    classify_rate = statistics.fmean(
        [report["classify"]["images_per_s"], report["classify_again"]["images_per_s"]]
    )
    c8 = report["batched"].get("c8")
    if c8 and report["naive"]["c8"]["images_per_s"]:
        report["targets_c8"] = {
            "vs_classify": round(c8["images_per_s"] / classify_rate, 2),
            "vs_naive": round(c8["images_per_s"] / report["naive"]["c8"]["images_per_s"], 2),
            "p99_ms": c8["p99_ms"],
            # CPU per image does not depend on what else the machine runs.
            "cpu_per_image_naive_vs_batched": round(
                report["naive"]["c8"]["server_cpu_ms_per_image"] / c8["server_cpu_ms_per_image"],
                2,
            ),
            "cpu_per_image_classify_vs_batched": round(
                report["classify"]["cpu_ms_per_image"] / c8["server_cpu_ms_per_image"], 2
            ),
            "errors": c8["errors"],
        }
    limits_cost = {}
    for level, guarded in report["batched"].items():
        plain = report["httptools"].get(level)
        if plain and plain["images_per_s"]:
            limits_cost[level] = {
                "images_per_s_vs_httptools": round(
                    guarded["images_per_s"] / plain["images_per_s"], 2
                ),
                "cpu_per_image_vs_httptools": round(
                    guarded["server_cpu_ms_per_image"] / plain["server_cpu_ms_per_image"], 2
                ),
            }
    report["h11_with_limits_vs_httptools"] = limits_cost
    report["settings"] = {
        "photos": len(files),
        "requests_per_level_max": args.requests,
        "seconds_per_level_max": args.seconds,
        "max_batch": args.max_batch,
        "max_wait_ms": args.max_wait_ms,
        "max_queue": args.max_queue,
        "serve_args": args.serve_args,
        "model": args.model or "bundled default",
    }
    report["machine"] = machine()
    print(json.dumps(report, indent=2))


def machine() -> dict:
    from edgeclass.quantize.sysinfo import cpu_info

    info = cpu_info()
    with contextlib.suppress(OSError):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    import onnxruntime

    info["onnxruntime"] = onnxruntime.__version__
    info["python"] = sys.version.split()[0]
    return info


if __name__ == "__main__":
    main()
