"""Work the server refuses or drops: a request whose client left, and requests over the budgets
of one request (declared pixels, decoding time) or of one client (pixels in flight, decoding
time per minute). Real decodes of real PNG files on the tiny model."""

from __future__ import annotations

import base64
import io
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from serve_helpers import connect, port_of, request_bytes, uvicorn_thread, wait_until

from edgeclass.runtime import Classifier
from edgeclass.serve.app import create_app
from edgeclass.serve.budgets import ClientBudgets
from edgeclass.serve.config import ServeConfig
from edgeclass.serve.errors import ClientOverBudget


def flat_png(width: int, height: int) -> bytes:
    """A PNG of a few KB that costs a full decode of width x height pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def png_16mp() -> bytes:
    return flat_png(4000, 4000)


@pytest.fixture
def one_decoder(tiny_model_dir) -> Classifier:
    return Classifier(tiny_model_dir, threads=1, decode_threads=1)


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([\d.e+-]+)$", text, re.MULTILINE)
    return float(match[1]) if match else 0.0


def multipart(images: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    parts = [
        b"--edge\r\nContent-Disposition: form-data; name=files; filename=" + name.encode()
        + b"\r\nContent-Type: image/png\r\n\r\n" + data + b"\r\n"
        for name, data in images
    ]  # fmt: skip
    return "multipart/form-data; boundary=edge", b"".join(parts) + b"--edge--\r\n"


def test_a_request_whose_client_left_is_dropped_before_decoding(one_decoder, png_16mp):
    predicted: list[int] = []

    def predict(batch):
        predicted.append(len(batch))
        return one_decoder.predict(batch)

    config = ServeConfig(max_request_mp=1000, max_client_mp=1000, max_batch=4)
    app = create_app(one_decoder, config, predict=predict)
    content_type, body = multipart([(f"{i}.png", png_16mp) for i in range(32)])
    with uvicorn_thread(app) as base:
        sock = connect(port_of(base))
        sock.sendall(request_bytes("POST", "/v1/classify", {"Content-Type": content_type}, body))
        # Once its 32 images are in the server (however loaded the machine), the client leaves
        # 0.5 s later: 32 full decodes of 16 MP on one thread take seconds.
        wait_until(lambda: app.state.service.admitted == 32, what="the 32 images admitted")
        time.sleep(0.5)
        sock.close()

        def metrics() -> str:
            return httpx.get(f"{base}/metrics", timeout=10).text

        request_499 = 'edgeclass_requests_total{path="/v1/classify",status="499"}'
        wait_until(lambda: metric(metrics(), request_499) == 1, what="the request counted 499")
        decoded = metric(metrics(), "edgeclass_decode_seconds_count")
        time.sleep(1.0)  # nothing more is decoded (the one decode running may end)
        text = metrics()
    assert metric(text, "edgeclass_decode_seconds_count") <= decoded + 1
    assert metric(text, "edgeclass_decode_seconds_count") < 32
    assert sum(predicted) < 32
    assert metric(text, 'edgeclass_images_total{status="cancelled"}') == 32
    assert metric(text, "edgeclass_queue_depth") == 0
    assert metric(text, "edgeclass_requests_in_flight") == 0


def test_a_request_declaring_too_many_pixels_is_413_before_any_decoding(make_app):
    big = flat_png(8000, 8000)  # 64 MP each
    with TestClient(make_app(max_request_mp=100)) as client:
        files = [("files", (f"{i}.png", big, "image/png")) for i in range(2)]
        answer = client.post("/v1/classify", files=files)
        assert answer.status_code == 413
        assert "128 megapixels" in answer.json()["detail"]
        assert "--max-request-mp" in answer.json()["detail"]
        v2 = client.post(
            "/v2/models/tiny_mobilevit/infer",
            json={
                "inputs": [
                    {"name": "image", "shape": [2], "datatype": "BYTES", "data": [_b64(big)] * 2}
                ]
            },
        )
        assert v2.status_code == 413 and "--max-request-mp" in v2.json()["error"]
        text = client.get("/metrics").text
    assert metric(text, "edgeclass_decode_seconds_count") == 0
    assert metric(text, 'edgeclass_rejected_total{reason="request_budget"}') == 2


def test_a_request_over_its_decoding_time_is_413_and_stops_decoding(one_decoder, png_16mp):
    app = create_app(one_decoder, ServeConfig(max_request_decode_s=0.01, max_request_mp=1000))
    with TestClient(app) as client:
        files = [("files", (f"{i}.png", png_16mp, "image/png")) for i in range(8)]
        answer = client.post("/v1/classify", files=files)
        text = client.get("/metrics").text
    assert answer.status_code == 413
    assert "--max-request-decode-s" in answer.json()["detail"]
    assert metric(text, "edgeclass_decode_seconds_count") < 8


def test_one_client_cannot_hold_more_pixels_than_its_share(tiny_classifier):
    gate = threading.Event()

    def predict(batch):
        gate.wait(30)
        return tiny_classifier.predict(batch)

    app = create_app(
        tiny_classifier, ServeConfig(max_request_mp=10, max_client_mp=10), predict=predict
    )
    image = flat_png(3000, 2000)  # 6 MP
    files = [("files", ("a.png", image, "image/png"))]
    with uvicorn_thread(app) as base, ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.post, f"{base}/v1/classify", files=files, timeout=60)
        wait_until(lambda: app.state.service.admitted == 1, what="the first request admitted")
        second = httpx.post(f"{base}/v1/classify", files=files, timeout=60)
        gate.set()
        assert first.result().status_code == 200
    assert second.status_code == 429 and second.headers["retry-after"] == "1"
    assert "--max-client-mp" in second.json()["detail"]


def test_one_client_cannot_use_more_decoding_time_per_minute_than_its_share(one_decoder, png_16mp):
    config = ServeConfig(client_decode_s_per_min=0.06, max_request_mp=1000)
    with TestClient(create_app(one_decoder, config)) as client:
        files = [("files", (f"{i}.png", png_16mp, "image/png")) for i in range(4)]
        assert client.post("/v1/classify", files=files).status_code == 200
        again = client.post("/v1/classify", files=files[:1])
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) >= 1
    assert "--client-decode-s" in again.json()["detail"]


def test_client_budgets_refill_over_time_and_forget_idle_clients():
    now = [0.0]
    budgets = ClientBudgets(max_mp=10, decode_s_per_min=6, clock=lambda: now[0])  # 0.1 s per s
    budgets.admit("a", 4_000_000)
    budgets.charge("a", 8.0)  # 2 s over its 6
    with pytest.raises(ClientOverBudget) as refused:
        budgets.admit("a", 1)
    assert refused.value.headers == {"retry-after": "21"}  # 2 s at 0.1 s per s, and a second
    budgets.admit("b", 6_000_000)  # another client is not affected
    with pytest.raises(ClientOverBudget, match="--max-client-mp"):
        budgets.admit("b", 5_000_000)
    now[0] = 21.0
    budgets.admit("a", 1)
    budgets.release("a", 4_000_001)
    budgets.release("b", 6_000_000)
    now[0] = 200.0
    budgets.admit("c", 1)
    budgets.release("c", 1)
    assert set(budgets._clients) == {"a"}  # b and c had nothing left to remember


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
