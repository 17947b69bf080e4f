"""NVIDIA's Triton client (tritonclient.http, a real KServe v2 client) against the real server:
health, metadata, inference with BYTES inputs in the binary tensor extension, outputs in JSON
and binary form, gzip bodies, and every error read as the server's own message."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from serve_helpers import uvicorn_thread

from edgeclass.runtime.in_memory import classify_bytes

triton = pytest.importorskip("tritonclient.http", reason="tritonclient[http] is not installed")
from tritonclient.utils import InferenceServerException  # noqa: E402

MODEL = "tiny_mobilevit"


def client_for(base: str, **kwargs) -> triton.InferenceServerClient:
    return triton.InferenceServerClient(base.removeprefix("http://"), network_timeout=60, **kwargs)


def image_input(*images: bytes) -> triton.InferInput:
    tensor = triton.InferInput("image", [len(images)], "BYTES")
    tensor.set_data_from_numpy(np.array(images, dtype=object))  # binary_data=True: the extension
    return tensor


def server_error(call) -> InferenceServerException:
    with pytest.raises(InferenceServerException) as raised:
        call()
    message = raised.value.message()
    assert "exception occurred in the client" not in message, message
    return raised.value


@pytest.fixture
def photos(make_image) -> list[bytes]:
    return [make_image(f"p{i}.jpg", size=(100 + 20 * i, 80), seed=i).read_bytes() for i in range(2)]


@pytest.fixture
def gate() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@pytest.fixture
def server(make_app, tiny_classifier, gate):
    def predict(batch):
        gate.wait(30)
        return tiny_classifier.predict(batch)

    app = make_app(predict=predict, max_images=4, max_queue=4, max_body_mb=1, timeout_s=2)
    with uvicorn_thread(app) as base:
        yield app, base


def test_health_and_metadata(server):
    _, base = server
    client = client_for(base)
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready(MODEL) and client.is_model_ready(MODEL, model_version="1")
    assert client.get_server_metadata()["extensions"] == ["binary_tensor_data"]
    metadata = client.get_model_metadata(MODEL)
    assert metadata["versions"] == ["1"] and metadata["parameters"]["labels"] == [
        "cat",
        "dog",
        "bird",
    ]
    assert client.get_model_metadata(MODEL, model_version="1") == metadata
    assert not client.is_model_ready("resnet")


def test_infer_bytes_in_binary_form_both_ways(server, photos, tiny_classifier):
    _, base = server
    client = client_for(base)
    answer = client.infer(MODEL, [image_input(*photos)], request_id="7")
    labels = [label.decode() for label in answer.as_numpy("label")]
    probabilities = answer.as_numpy("probabilities")
    assert probabilities.shape == (2, 3) and probabilities.dtype == np.float32
    assert answer.get_response()["id"] == "7"
    for row, label, photo in zip(probabilities, labels, photos, strict=True):
        expected = classify_bytes(tiny_classifier, photo, top_k=3)
        by_label = dict(expected.top_k)
        assert row == pytest.approx([by_label[k] for k in ("cat", "dog", "bird")], abs=1e-6)
        assert label == expected.label
    as_json = client.infer(
        MODEL,
        [image_input(*photos)],
        outputs=[triton.InferRequestedOutput("probabilities", binary_data=False)],
        model_version="1",
        request_compression_algorithm="gzip",
    )
    assert [o["name"] for o in as_json.get_response()["outputs"]] == ["probabilities"]
    assert as_json.as_numpy("probabilities") == pytest.approx(probabilities, abs=1e-6)
    assert as_json.as_numpy("label") is None


def test_every_error_is_read_as_the_servers_message(server, photos, gate):
    app, base = server
    client = client_for(base)
    error = server_error(lambda: client.get_model_metadata("resnet"))
    assert error.status() == "404" and "no model named 'resnet'" in error.message()
    error = server_error(lambda: client.infer(MODEL, [image_input(photos[0])], model_version="3"))
    assert error.status() == "404" and "no version '3'" in error.message()
    error = server_error(lambda: client.infer(MODEL, [image_input(b"not an image")]))
    assert error.status() == "400" and "not_an_image" in error.message()
    error = server_error(lambda: client.infer(MODEL, [image_input(*photos * 3)]))
    assert error.status() == "413" and "the limit is 4" in error.message()
    error = server_error(lambda: client.infer(MODEL, [image_input(b"\0" * (2 << 20))]))
    assert error.status() == "413" and "--max-body-mb" in error.message()
    error = server_error(
        lambda: client.infer(
            MODEL, [image_input(photos[0])], outputs=[triton.InferRequestedOutput("logits")]
        )
    )
    assert error.status() == "400" and "no output 'logits'" in error.message()

    gate.clear()  # the model stalls: past --timeout 2 the request gets 504
    error = server_error(lambda: client.infer(MODEL, [image_input(photos[0])]))
    assert error.status() == "504" and "timed out" in error.message()
    gate.set()

    app.state.service.draining = True
    error = server_error(lambda: client.infer(MODEL, [image_input(photos[0])]))
    assert error.status() == "503" and "shutting down" in error.message()
    app.state.service.draining = False


def test_a_wrong_key_is_read_as_the_servers_message(make_app, photos):
    with uvicorn_thread(make_app(api_key="s3cret")) as base:
        error = server_error(lambda: client_for(base).get_model_metadata(MODEL))
        assert error.status() == "401" and "API key" in error.message()
        keyed = client_for(base)
        answer = keyed.infer(
            MODEL, [image_input(photos[0])], headers={"Authorization": "Bearer s3cret"}
        )
        assert answer.as_numpy("probabilities").shape == (1, 3)
