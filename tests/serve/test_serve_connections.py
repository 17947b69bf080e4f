"""The connection layer against hostile clients, on the real `edgeclass serve` in a subprocess:
a huge header, slow half-open connections past the connection cap, a trickled body, idle
connections. Through all of them /healthz answers every probe within 1 s.

Scaled down for CI time (bench/serve_load.py --slow-clients runs 1,100 slow connections)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import httpx
import pytest
from serve_helpers import (
    ServeProcess,
    closed_by_server,
    connect,
    get_json,
    probe_health,
    read_response,
    request_bytes,
)

CAP = 150  # --max-connections below
SLOW_CLIENTS = 200  # more than the cap


@pytest.fixture(scope="module")
def server(tiny_model_dir, tmp_path_factory):
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    process = ServeProcess(
        [
            *("--model", str(tiny_model_dir), "--timeout", "3", "--header-timeout", "2"),
            *("--keep-alive", "1", "--max-connections", str(CAP), "--max-header-kb", "32"),
        ],
        log,
    )
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def _in_background(target, *args) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(target(*args))
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_a_40_mb_header_gets_431_and_stalls_no_one(server):
    def send_huge_header() -> tuple[int, bytes] | str:
        with connect(server.port, 30) as sock:
            try:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (40 << 20))
                status, _, body = read_response(sock, 30)
            except OSError as error:  # the server may reset a client still sending
                return f"reset: {error}"
            return status, body

    attacker, outcome = _in_background(send_huge_header)
    probes = probe_health(server.port, seconds=3)
    attacker.join(60)
    assert not attacker.is_alive()
    assert probes and None not in probes, probes
    if isinstance(outcome[0], tuple):
        status, body = outcome[0]
        assert status == 431 and "--max-header-kb" in json.loads(body)["error"]
    else:
        assert outcome[0].startswith("reset"), outcome


def test_an_over_long_header_gets_a_clean_431_with_the_reason(server):
    with connect(server.port) as sock:
        sock.sendall(request_bytes("GET", "/v2/health/live", {"X-Big": "a" * 100_000}))
        status, headers, body = read_response(sock)
    assert status == 431 and headers["connection"] == "close"
    assert json.loads(body)["error"] == json.loads(body)["detail"]
    assert "over the limit of 32768 bytes" in json.loads(body)["error"]
    # A header just under the limit is fine.
    with connect(server.port) as sock:
        sock.sendall(request_bytes("GET", "/healthz", {"X-Big": "a" * 30_000}))
        assert read_response(sock)[0] == 200


def test_slow_half_open_connections_past_the_cap_never_lock_out_health_checks(server):
    # Each sends a request line, then a header line every 0.5 s, and never ends its headers.
    slow: list[socket.socket] = []
    for _ in range(SLOW_CLIENTS):
        sock = connect(server.port, 5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        slow.append(sock)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.5):
            for sock in slow:
                with contextlib.suppress(OSError):  # closed by the server: as it should
                    sock.send(b"X-Slow: 1\r\n")

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        probes = probe_health(server.port, seconds=4)
    finally:
        stop.set()
        trickler.join(10)
    assert probes and None not in probes, probes
    # The cap closed the oldest ones at once, --header-timeout 2 the rest: none is still open.
    assert all(closed_by_server(sock, 10) for sock in slow)
    for sock in slow:
        sock.close()
    metrics = httpx.get(f"{server.url}/metrics", timeout=10).text
    assert 'edgeclass_connections_closed_total{reason="evicted"}' in metrics
    assert 'edgeclass_connections_closed_total{reason="timeout"}' in metrics


def test_a_trickled_body_gets_408_at_the_timeout_not_a_pass(server):
    body = b"x" * 40
    with connect(server.port, 30) as sock:
        sock.sendall(
            request_bytes("POST", "/v1/classify", {"Content-Type": "image/png"}, body)[: -len(body)]
        )
        start = time.monotonic()
        answered = False
        for byte in body:  # one byte every 0.25 s: 10 s in all, over --timeout 3
            try:
                sock.send(bytes([byte]))
            except OSError:
                break
            sock.settimeout(0.25)
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    answered = True
                    break
            except TimeoutError:
                continue
        assert answered, "the server waited for the whole trickled body"
        assert time.monotonic() - start < 10
        status, _, answer = read_response(sock)
    assert status == 408 and "did not arrive within 3 s" in json.loads(answer)["detail"]


def test_idle_and_silent_connections_are_closed(server):
    silent = connect(server.port)  # connects and never sends a byte
    keep_alive = connect(server.port)
    keep_alive.sendall(request_bytes("GET", "/healthz"))
    assert read_response(keep_alive)[0] == 200  # then stays idle past --keep-alive 1
    assert closed_by_server(silent, 10)
    assert closed_by_server(keep_alive, 10)
    silent.close()
    keep_alive.close()
    assert get_json(server.port, "/healthz")[0] == 200


def test_a_malformed_request_line_is_400_not_a_dropped_connection(server):
    with connect(server.port) as sock:
        sock.sendall(b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, body = read_response(sock)
    assert status == 400 and "malformed" in json.loads(body)["detail"]
    with connect(server.port) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert read_response(sock)[0] == 400
