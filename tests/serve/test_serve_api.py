"""Every route and every bad input, through FastAPI's TestClient on the tiny real model."""

from __future__ import annotations

import base64
import json
import re
import struct

import pytest
from fastapi.testclient import TestClient
from serve_helpers import assert_same_result

from edgeclass.runtime.in_memory import classify_bytes


@pytest.fixture
def client(make_app):
    with TestClient(make_app(max_images=4, max_queue=8, max_body_mb=0.5)) as client:
        yield client


@pytest.fixture
def photos(make_image):
    return [make_image(f"p{i}.jpg", size=(90 + 10 * i, 70), seed=i) for i in range(3)]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_multipart_answers_classify_results_in_order(client, photos, tiny_classifier):
    files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
    response = client.post("/v1/classify", files=files, data={"top_k": "2"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["path"] for r in results] == [p.name for p in photos]
    for path, result in zip(photos, results, strict=True):
        expected = classify_bytes(tiny_classifier, path.read_bytes(), path.name, top_k=2)
        assert_same_result(result, expected.to_dict())
        assert len(result["top_k"]) == 2


def test_json_base64_with_threshold_and_a_data_url(client, photos):
    body = {
        "images": [
            {"name": "a.jpg", "data": b64(photos[0].read_bytes())},
            {"data": "data:image/jpeg;base64," + b64(photos[1].read_bytes())},
        ],
        "threshold": 1.0,
    }
    response = client.post("/v1/classify", json=body)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["path"] for r in results] == ["a.jpg", "image-1"]
    assert [r["label"] for r in results] == ["unknown", "unknown"]  # no score reaches 1.0


def test_one_raw_image_body(client, photos):
    response = client.post(
        "/v1/classify?name=cam.jpg&top_k=2",
        content=photos[0].read_bytes(),
        headers={"content-type": "image/jpeg"},
    )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["path"] == "cam.jpg" and result["status"] == "ok" and len(result["top_k"]) == 2


def test_bad_images_in_a_batch_are_their_own_results(client, photos):
    truncated = photos[0].read_bytes()[:300]
    files = [
        ("files", ("cut.jpg", truncated, "image/jpeg")),
        ("files", ("notes.jpg", b"just some text, not a photo", "image/jpeg")),
        ("files", ("good.jpg", photos[1].read_bytes(), "image/jpeg")),
        ("files", ("empty.jpg", b"", "image/jpeg")),
    ]
    response = client.post("/v1/classify", files=files)
    assert response.status_code == 200
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["unreadable", "not_an_image", "ok", "empty_file"]


def test_a_single_bad_image_is_422_with_its_status(client):
    response = client.post(
        "/v1/classify", files=[("files", ("notes.jpg", b"text, not an image", "image/jpeg"))]
    )
    assert response.status_code == 422
    assert response.json()["results"][0]["status"] == "not_an_image"
    assert "not_an_image" in response.json()["detail"]


def test_a_named_path_is_never_opened(client, photos):
    body = {"images": [{"name": str(photos[0]), "data": b64(b"not an image")}]}
    response = client.post("/v1/classify", json=body)
    assert response.status_code == 422
    assert response.json()["results"][0]["status"] == "not_an_image"  # not the real photo


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b'{"images": [', 400, "not valid JSON"),
        (b'{"images": [{"name": "x", "data": "%%%not-base64%%%"}]}', 422, "not valid base64"),
        (b'{"images": []}', 422, "too_short"),
        (b'{"pictures": []}', 422, "missing"),
        (b'{"images": [{"data": "AAAA"}], "top_k": 0}', 422, "greater_than_equal"),
        (b"\xff\xfe garbage", 400, "not valid JSON"),
    ],
)
def test_malformed_json_is_a_client_error(client, body, status, says):
    response = client.post(
        "/v1/classify", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert says in json.dumps(response.json())


def test_wrong_content_type_is_415(client):
    response = client.post("/v1/classify", content=b"hello", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]


def test_malformed_multipart_is_400(client):
    response = client.post(
        "/v1/classify",
        content=b"--nope\r\nthis is not multipart",
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code in (400, 422)
    response = client.post("/v1/classify", files={"top_k": (None, "1")})  # no file parts
    assert response.status_code == 422 and "no image files" in response.json()["detail"]


def test_bad_top_k_or_threshold_is_422(client, photos):
    files = [("files", ("a.jpg", photos[0].read_bytes(), "image/jpeg"))]
    assert client.post("/v1/classify?threshold=2", files=files).status_code == 422
    assert client.post("/v1/classify", files=files, data={"top_k": "x"}).status_code == 422


def test_huge_body_is_413_by_length_and_while_streaming(client):
    big = b"\0" * (600 * 1024)  # over the 0.5 MiB limit
    response = client.post("/v1/classify", content=big, headers={"content-type": "image/jpeg"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b"\0" * (100 * 1024)

    response = client.post("/v1/classify", content=chunks(), headers={"content-type": "image/jpeg"})
    assert response.status_code == 413


def test_too_many_images_is_413(client, photos):
    data = photos[0].read_bytes()
    files = [("files", (f"{i}.jpg", data, "image/jpeg")) for i in range(5)]
    response = client.post("/v1/classify", files=files)
    assert response.status_code == 413 and "--max-images" in response.json()["detail"]
    body = {"images": [{"data": b64(data)}] * 5}
    assert client.post("/v1/classify", json=body).status_code == 413


def test_model_health_and_readiness(client):
    model = client.get("/v1/model").json()
    assert model["name"] == "tiny_mobilevit"
    assert model["labels"] == ["cat", "dog", "bird"]
    assert set(model["input_size"]) == {"height", "width"}
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_model_info_of_the_bundled_model_has_card_and_figures_but_no_paths(make_app):
    from edgeclass.runtime import Classifier
    from edgeclass.serve.app import create_app
    from edgeclass.serve.config import ServeConfig

    with TestClient(create_app(Classifier(), ServeConfig())) as client:
        model = client.get("/v1/model").json()
    assert model["model_card"].startswith("# edgeclass default model")
    assert model["quantization"]["int8_accuracy"] > 0.5
    assert "/work" not in json.dumps(model)


def test_not_ready_before_start_and_while_draining(make_app):
    app = make_app()
    client = TestClient(app)  # lifespan not run: the batcher has not started
    assert client.get("/readyz").status_code == 503
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        app.state.service.draining = True
        response = client.get("/readyz")
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        response = client.post("/v1/classify", content=b"x", headers={"content-type": "image/png"})
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert client.get("/v2/health/ready").status_code == 503


def test_metrics_count_requests_batches_and_images(client, photos):
    files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
    client.post("/v1/classify", files=files)
    client.post("/v1/classify", content=b"x", headers={"content-type": "text/plain"})
    text = client.get("/metrics").text
    assert 'edgeclass_requests_total{path="/v1/classify",status="200"} 1.0' in text
    assert 'edgeclass_requests_total{path="/v1/classify",status="415"} 1.0' in text
    assert 'edgeclass_images_total{status="ok"} 3.0' in text
    assert "edgeclass_batch_size_count" in text
    assert "edgeclass_queue_depth 0.0" in text
    assert 'edgeclass_request_seconds_bucket{le="+Inf",path="/v1/classify"} 2.0' in text


def test_access_log_line_per_request(client, photos, caplog):
    caplog.set_level("INFO", logger="edgeclass.serve.access")
    files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in photos[:2]]
    client.post("/v1/classify", files=files)
    (line,) = [r.getMessage() for r in caplog.records if "/v1/classify" in r.getMessage()]
    assert re.fullmatch(r'\S+ "POST /v1/classify" 200 images=2 [\d.]+ms', line), line


def test_docs_work_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text
    assert not [u for u in urls if re.match(r"(https?:)?//", u)], urls
    assert not re.search(r"https?://", page.text)
    assert '"validatorUrl": null' in page.text
    for url in urls:  # every asset the page needs is served here
        assert client.get(url).status_code == 200, url
    schema = client.get("/openapi.json").json()
    assert "/v1/classify" in schema["paths"] and "ClassifyJson" in schema["components"]["schemas"]


def test_no_cors_unless_an_origin_is_given(make_app, photos):
    preflight = {
        "origin": "http://example.test",
        "access-control-request-method": "POST",
    }
    with TestClient(make_app()) as client:
        response = client.options("/v1/classify", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    with TestClient(make_app(cors_origins=("http://example.test",))) as client:
        response = client.options("/v1/classify", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "http://example.test"


def test_api_key_is_checked_in_constant_time_on_every_route_but_probes(make_app, photos):
    with TestClient(make_app(api_key="s3cret")) as client:
        files = [("files", ("a.jpg", photos[0].read_bytes(), "image/jpeg"))]
        assert client.post("/v1/classify", files=files).status_code == 401
        wrong = {"authorization": "Bearer guess"}
        assert client.post("/v1/classify", files=files, headers=wrong).status_code == 401
        assert client.get("/metrics").status_code == 401
        assert client.get("/v2/models/tiny_mobilevit").status_code == 401
        right = {"authorization": "Bearer s3cret"}
        assert client.post("/v1/classify", files=files, headers=right).status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/v2/health/ready").status_code == 200


# --- KServe v2 (Open Inference Protocol), requests built by hand from the protocol text ---


def test_v2_metadata_and_health(client):
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    meta = client.get("/v2/models/tiny_mobilevit").json()
    assert meta["inputs"] == [{"name": "image", "datatype": "BYTES", "shape": [-1]}]
    assert meta["outputs"][1] == {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]}
    assert client.get("/v2/models/tiny_mobilevit/ready").status_code == 200
    missing = client.get("/v2/models/resnet")
    assert missing.status_code == 404 and "tiny_mobilevit" in missing.json()["error"]


def test_v2_infer_json(client, photos, tiny_classifier):
    request = {
        "id": "42",
        "inputs": [
            {
                "name": "image",
                "shape": [2],
                "datatype": "BYTES",
                "data": [b64(photos[0].read_bytes()), b64(photos[1].read_bytes())],
            }
        ],
    }
    response = client.post("/v2/models/tiny_mobilevit/infer", json=request)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["model_name"] == "tiny_mobilevit" and answer["id"] == "42"
    labels, probabilities = answer["outputs"]
    assert labels["name"] == "label" and labels["shape"] == [2]
    assert probabilities["shape"] == [2, 3] and len(probabilities["data"]) == 6
    for index, path in enumerate(photos[:2]):
        expected = classify_bytes(tiny_classifier, path.read_bytes(), top_k=3)
        row = probabilities["data"][3 * index : 3 * index + 3]
        by_label = dict(expected.top_k)
        assert row == pytest.approx([by_label[k] for k in ("cat", "dog", "bird")], abs=1e-6)
        assert labels["data"][index] == expected.label


def test_v2_infer_binary_tensor_extension(client, photos):
    images = [photos[0].read_bytes(), photos[2].read_bytes()]
    binary = b"".join(struct.pack("<I", len(data)) + data for data in images)
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "image",
                    "shape": [2],
                    "datatype": "BYTES",
                    "parameters": {"binary_data_size": len(binary)},
                }
            ]
        }
    ).encode()
    response = client.post(
        "/v2/models/tiny_mobilevit/infer",
        content=header + binary,
        headers={
            "inference-header-content-length": str(len(header)),
            "content-type": "application/octet-stream",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["outputs"][1]["shape"] == [2, 3]


@pytest.mark.parametrize(
    ("request_body", "status", "says"),
    [
        ({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES", "data": ["@@"]}]},
         400, "not valid base64"),
        ({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                      "data": [b64(b"text")]}]}, 400, "not_an_image"),
        ({"inputs": [{"name": "pixels", "shape": [1], "datatype": "FP32", "data": [1.0]}]},
         400, "BYTES"),
        ({"inputs": [{"name": "image", "shape": [2], "datatype": "BYTES", "data": ["AAAA"]}]},
         400, "shape [2] but 1"),
        ({"inputs": [{"name": "image", "shape": [9], "datatype": "BYTES", "data": []}]},
         413, "limit"),
        ({"outputs": []}, 400, "inputs: Field required"),
    ],
)  # fmt: skip
def test_v2_bad_requests_are_4xx_with_an_error(client, request_body, status, says):
    response = client.post("/v2/models/tiny_mobilevit/infer", json=request_body)
    assert response.status_code == status
    assert says in response.json()["error"]


def test_v2_malformed_body_is_400(client):
    response = client.post(
        "/v2/models/tiny_mobilevit/infer",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


NASTY_BODIES = [
    b"",
    b"\x00" * 1000,
    b"null",
    b"[]",
    b'{"images": null}',
    b'{"images": [null, 1, "x"]}',
    b'{"images": [{"data": 5}]}',
    b'{"images": [{"data": "AAAA"}], "top_k": 1e308, "threshold": NaN}',
    b'{"inputs": [{"name": "image", "shape": [true], "datatype": "BYTES", "data": [null]}]}',
    b'{"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",'
    b' "parameters": {"binary_data_size": -1}}]}',
    b"--b\r\nContent-Disposition: form-data; name=files; filename=a.jpg\r\n\r\nxx",
    "\u00e9t\u00e9".encode("utf-16"),
]
CONTENT_TYPES = [
    "application/json",
    "multipart/form-data; boundary=b",
    "multipart/form-data",
    "image/png",
    "application/octet-stream",
    "",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_nothing_a_client_sends_is_a_500(client, content_type):
    for path in (
        "/v1/classify",
        "/v1/classify?top_k=-1&threshold=nan",
        "/v2/models/tiny_mobilevit/infer",
    ):
        for body in NASTY_BODIES:
            headers = {"content-type": content_type} if content_type else {}
            if path.startswith("/v2") and body.startswith(b"{"):
                headers["inference-header-content-length"] = str(len(body) - 3)
            response = client.post(path, content=body, headers=headers)
            assert 400 <= response.status_code < 500, (path, content_type, body, response.text)
    assert client.get("/healthz").status_code == 200
