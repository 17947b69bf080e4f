"""`edgeclass serve` as a real uvicorn server on 127.0.0.1 port 0: results equal to `classify`'s,
batching, the queue-full 503, the drain on SIGTERM, and the safety checks at start."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from serve_helpers import (
    assert_same_result,
    connect,
    get_json,
    read_response,
    request_bytes,
    uvicorn_thread,
    wait_for_log,
    wait_until,
)

from edgeclass.cli.main import main


def _files(paths):
    return [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in paths]


def test_results_are_those_of_classify_on_the_same_files(
    serve_process, make_image, tmp_path, catsdogs_photos
):
    photos = catsdogs_photos[:6]
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(photos[0].read_bytes()[:500])
    text = tmp_path / "text.jpg"
    text.write_text("not a photo")
    files = [*photos, make_image("grey.png", mode="L"), truncated, text]
    out = tmp_path / "classify.json"
    command = [sys.executable, "-m", "edgeclass", "classify", *map(str, files)]
    cli = subprocess.run(
        [*command, "-k", "2", "-q", "-f", "json", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 1, cli.stderr  # two files failed
    expected = json.loads(out.read_text())

    key = tmp_path / "key"
    key.write_text("k3y-for-test\n")
    server = serve_process("--api-key-file", str(key), "--max-batch", "4")
    server.wait_ready()
    url = f"{server.url}/v1/classify?top_k=2"
    assert httpx.post(url, files=_files(files[:1]), timeout=60).status_code == 401
    auth = {"authorization": "Bearer k3y-for-test"}
    response = httpx.post(url, files=_files(files), headers=auth, timeout=60)
    assert response.status_code == 200, response.text
    got = response.json()["results"]
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine["path"] == theirs["path"].rsplit("/", 1)[-1]
        assert_same_result({**mine, "path": theirs["path"]}, theirs)
    assert [r["status"] for r in got][-2:] == ["unreadable", "not_an_image"]
    # The access log line is written after the answer is sent: poll for it.
    wait_for_log(server.log, '"POST /v1/classify" 200 images=9')


def test_concurrent_requests_are_batched_and_a_full_queue_says_503(make_app, make_image):
    gate = threading.Event()
    batches: list[int] = []

    def predict(batch):
        batches.append(len(batch))
        gate.wait(30)
        return app.state.service.classifier.predict(batch)

    app = make_app(predict=predict, max_batch=8, max_wait_ms=50, max_queue=4, max_images=2)
    image = make_image("a.jpg").read_bytes()
    files = [("files", ("a.jpg", image, "image/jpeg"))] * 2
    with uvicorn_thread(app) as base, ThreadPoolExecutor(4) as pool:
        first = pool.submit(httpx.post, f"{base}/v1/classify", files=files[:1], timeout=60)
        wait_until(lambda: batches == [1], what="the first batch to start")
        # While the model is busy, two requests' three images queue up: one batch later.
        queued = [
            pool.submit(httpx.post, f"{base}/v1/classify", files=files[:n], timeout=60)
            for n in (1, 2)
        ]
        wait_until(lambda: app.state.service.admitted == 4, what="4 images admitted")
        refused = httpx.post(f"{base}/v1/classify", files=files[:1], timeout=60)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert "busy" in refused.json()["detail"]
        gate.set()
        assert first.result().status_code == 200
        assert [f.result().status_code for f in queued] == [200, 200]
        assert batches == [1, 3]
        metrics = httpx.get(f"{base}/metrics").text
    assert 'edgeclass_batch_size_bucket{le="4.0"} 2.0' in metrics
    assert 'edgeclass_requests_total{path="/v1/classify",status="503"} 1.0' in metrics


def test_a_request_over_its_timeout_gets_504_and_the_server_goes_on(make_app, make_image):
    gate = threading.Event()

    def predict(batch):
        gate.wait(30)
        return app.state.service.classifier.predict(batch)

    app = make_app(predict=predict, timeout_s=0.3)
    files = [("files", ("a.jpg", make_image("a.jpg").read_bytes(), "image/jpeg"))]
    with uvicorn_thread(app) as base:
        slow = httpx.post(f"{base}/v1/classify", files=files, timeout=60)
        assert slow.status_code == 504 and "timed out" in slow.json()["detail"]
        assert app.state.service.admitted == 0
        gate.set()
        assert httpx.post(f"{base}/v1/classify", files=files, timeout=60).status_code == 200


def _multipart(name: str, data: bytes) -> tuple[str, bytes]:
    body = (
        b"--edge\r\nContent-Disposition: form-data; name=files; filename=" + name.encode()
        + b"\r\nContent-Type: image/jpeg\r\n\r\n" + data + b"\r\n--edge--\r\n"
    )  # fmt: skip
    return "multipart/form-data; boundary=edge", body


def _in_flight(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return float(text.split("\nedgeclass_requests_in_flight ")[1].split()[0])


def test_sigterm_drains_503_for_new_work_while_in_flight_requests_finish(
    serve_process, make_image, tiny_model_dir
):
    server = serve_process("--model", str(tiny_model_dir))
    server.wait_ready()
    content_type, body = _multipart("a.jpg", make_image("a.jpg").read_bytes())
    head = request_bytes("POST", "/v1/classify", {"Content-Type": content_type}, body)
    head, _, _ = head.partition(b"\r\n\r\n")
    # Three requests stay in flight, deterministically: their bodies are half sent.
    senders = [connect(server.port, 30) for _ in range(3)]
    for sock in senders:
        sock.sendall(head + b"\r\n\r\n" + body[:100])
    wait_until(lambda: _in_flight(server.url) == 3, what="3 requests in flight")

    server.process.send_signal(signal.SIGTERM)
    wait_for_log(server.log, "draining")
    # Still listening: new work gets 503 (not "connection refused"), readiness says so.
    status, answer = get_json(server.port, "/readyz")
    assert (status, answer) == (503, {"status": "draining"})
    assert get_json(server.port, "/v2/health/ready") == (503, {"ready": False})
    assert get_json(server.port, "/healthz")[0] == 200
    late = httpx.post(
        f"{server.url}/v1/classify",
        content=body,
        headers={"content-type": content_type},
        timeout=10,
    )
    assert late.status_code == 503 and late.headers["retry-after"] == "1"
    assert "shutting down" in late.json()["detail"]
    assert server.process.poll() is None

    for sock in senders:  # the in-flight requests finish and are answered
        sock.sendall(body[100:])
        status, _, answer = read_response(sock, 60)
        assert status == 200 and json.loads(answer)["results"][0]["status"] == "ok"
        sock.close()
    assert server.process.wait(timeout=60) == 0
    log = server.log.read_text()
    assert log.count('"POST /v1/classify" 200 images=1') == 3
    assert log.index("draining") < log.index('"POST /v1/classify" 503')
    assert log.rindex('"POST /v1/classify" 200') < log.index("Shutting down")


def test_a_non_loopback_bind_needs_an_api_key(capsys, monkeypatch):
    monkeypatch.delenv("EDGECLASS_API_KEY", raising=False)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    message = capsys.readouterr().err
    assert "API key" in message and "--api-key-file" in message and "--insecure" in message


def test_an_unreadable_key_file_is_an_error(capsys, tmp_path):
    assert main(["serve", "--api-key-file", str(tmp_path / "missing")]) == 2
    assert "cannot read --api-key-file" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["fastapi", "uvicorn"])
def test_without_the_extra_the_message_names_it(capsys, monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    assert main(["serve"]) == 2
    message = capsys.readouterr().err
    assert "edgeclass[serve]" in message and module in message


def test_settings_that_could_never_work_are_refused(capsys):
    assert main(["serve", "--max-images", "100", "--max-queue", "10"]) == 2
    assert "could never be admitted" in capsys.readouterr().err
