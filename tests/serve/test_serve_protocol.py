"""Hostile JSON, the API key rules, KServe v2 conformance (versions, outputs, binary outputs,
gzip bodies, the `{"error"}` shape on every /v2 error), file names that are not UTF-8, and what
the OpenAPI schema says; through the real app (FastAPI's TestClient) on the tiny model."""

from __future__ import annotations

import base64
import gzip
import json
import struct
import zlib

import pytest
from fastapi.testclient import TestClient

from edgeclass.cli.main import main
from edgeclass.errors import EdgeclassError
from edgeclass.serve.config import read_api_key

V2 = "/v2/models/tiny_mobilevit"


@pytest.fixture
def client(make_app):
    with TestClient(make_app(max_images=4, max_queue=8, max_body_mb=0.5)) as client:
        yield client


@pytest.fixture
def jpeg(make_image) -> bytes:
    return make_image("a.jpg", size=(120, 90)).read_bytes()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def infer_body(*images: bytes, **extra) -> dict:
    tensor = {"name": "image", "shape": [len(images)], "datatype": "BYTES"}
    return {"inputs": [{**tensor, "data": [b64(i) for i in images]}], **extra}


# --- item 5: no 500 from nesting or bad Unicode ----------------------------------------------


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_deeply_nested_json_is_400_on_both_apis(client, depth):
    nested = "[" * depth + "]" * depth
    v1 = client.post(
        "/v1/classify",
        content=f'{{"images": {nested}}}',
        headers={"content-type": "application/json"},
    )
    assert v1.status_code == 400 and "nested deeper than 32" in v1.json()["detail"]
    v2 = client.post(
        f"{V2}/infer",
        content=f'{{"inputs": {nested}}}',
        headers={"content-type": "application/json"},
    )
    assert v2.status_code == 400 and "nested deeper than 32" in v2.json()["error"]


@pytest.mark.parametrize("field", ["id", "datatype", "name"])
def test_a_lone_surrogate_in_v2_text_is_400(client, jpeg, field):
    document = infer_body(jpeg)
    if field == "id":
        document["id"] = "\ud800"
    else:
        document["inputs"][0][field] = "x\udc80"
    raw = json.dumps(document)  # ensure_ascii: the surrogate travels as a \\u escape
    answer = client.post(f"{V2}/infer", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 400 and "lone surrogate" in answer.json()["error"]


def test_a_lone_surrogate_in_a_v1_name_is_400(client, jpeg):
    raw = json.dumps({"images": [{"name": "\udfff.jpg", "data": b64(jpeg)}]})
    answer = client.post("/v1/classify", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 400 and "lone surrogate" in answer.json()["detail"]


# --- item 6: KServe v2 ------------------------------------------------------------------------


def test_v2_versioned_routes_answer_like_the_plain_ones(client, jpeg):
    assert client.get(f"{V2}/versions/1").json() == client.get(V2).json()
    assert client.get(f"{V2}/versions/1/ready").status_code == 200
    answer = client.post(f"{V2}/versions/1/infer", json=infer_body(jpeg))
    assert answer.status_code == 200 and answer.json()["model_version"] == "1"
    for missing in (f"{V2}/versions/2", f"{V2}/versions/2/ready"):
        response = client.get(missing)
        assert response.status_code == 404 and "no version '2'" in response.json()["error"]
    response = client.post(f"{V2}/versions/2/infer", json=infer_body(jpeg))
    assert response.status_code == 404 and "no version '2'" in response.json()["error"]


def test_v2_requested_outputs_are_the_ones_answered(client, jpeg):
    only_label = client.post(f"{V2}/infer", json=infer_body(jpeg, outputs=[{"name": "label"}]))
    assert [o["name"] for o in only_label.json()["outputs"]] == ["label"]
    reordered = client.post(
        f"{V2}/infer", json=infer_body(jpeg, outputs=[{"name": "probabilities"}, {"name": "label"}])
    )
    assert [o["name"] for o in reordered.json()["outputs"]] == ["probabilities", "label"]
    unknown = client.post(f"{V2}/infer", json=infer_body(jpeg, outputs=[{"name": "logits"}]))
    assert unknown.status_code == 400 and "no output 'logits'" in unknown.json()["error"]


def test_v2_outputs_in_binary_form_as_triton_sends_them(client, jpeg):
    body = infer_body(
        jpeg,
        jpeg,
        outputs=[{"name": "label", "parameters": {"binary_data": True}}, {"name": "probabilities"}],
    )
    answer = client.post(f"{V2}/infer", json=body)
    assert answer.status_code == 200
    length = int(answer.headers["inference-header-content-length"])
    header = json.loads(answer.content[:length])
    label, probabilities = header["outputs"]
    assert "data" not in label and label["parameters"]["binary_data_size"] > 8
    assert len(probabilities["data"]) == 6  # JSON, as asked
    tail = answer.content[length:]
    assert len(tail) == label["parameters"]["binary_data_size"]
    (first,) = struct.unpack_from("<I", tail)
    assert tail[4 : 4 + first].decode() in ("cat", "dog", "bird", "unknown")
    everything = client.post(
        f"{V2}/infer", json=infer_body(jpeg, parameters={"binary_data_output": True})
    )
    length = int(everything.headers["inference-header-content-length"])
    sizes = [
        o["parameters"]["binary_data_size"]
        for o in json.loads(everything.content[:length])["outputs"]
    ]
    assert sizes[1] == 3 * 4 and len(everything.content) == length + sum(sizes)  # 3 float32


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_request_bodies_are_read(client, jpeg, encoding):
    raw = json.dumps(infer_body(jpeg)).encode()
    packed = gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)
    answer = client.post(
        f"{V2}/infer",
        content=packed,
        headers={"content-type": "application/json", "content-encoding": encoding},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["outputs"][0]["shape"] == [1]


def test_a_gzip_bomb_stops_at_the_body_limit(client):
    bomb = gzip.compress(b"\0" * (100 << 20))  # 100 MiB in about 100 KB; the limit is 0.5 MiB
    assert len(bomb) < 200_000
    answer = client.post(
        f"{V2}/infer",
        content=bomb,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert answer.status_code == 413 and "decompressed body over" in answer.json()["error"]
    corrupt = client.post(
        "/v1/classify",
        content=b"\x1f\x8b\x08\x00garbage",
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert corrupt.status_code == 400 and "gzip" in corrupt.json()["detail"]
    other = client.post(
        "/v1/classify",
        content=b"x",
        headers={"content-type": "image/png", "content-encoding": "br"},
    )
    assert other.status_code == 415


def test_every_v2_error_has_the_protocols_shape(make_app, jpeg):
    app = make_app(api_key="k3y", max_images=2, max_body_mb=0.1)
    key = {"authorization": "Bearer k3y"}
    with TestClient(app) as client:
        answers = {
            401: client.get(V2),
            404: client.get("/v2/models/nothing", headers=key),
            405: client.delete(f"{V2}/infer", headers=key),
            413: client.post(f"{V2}/infer", json=infer_body(jpeg, jpeg, jpeg), headers=key),
        }
        app.state.service.draining = True
        answers[503] = client.post(f"{V2}/infer", json=infer_body(jpeg), headers=key)
    for status, answer in answers.items():
        assert answer.status_code == status
        assert set(answer.json()) == {"error"} and answer.json()["error"], (status, answer.text)
    unmatched = TestClient(make_app()).get("/v2/no/such/route")
    assert unmatched.status_code == 404 and set(unmatched.json()) == {"error"}


# --- item 7: the API key ----------------------------------------------------------------------


def test_the_key_file_is_its_first_non_empty_line(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("\n   \n  s3cret-key  \nsecond line is ignored\n")
    assert read_api_key(str(key_file)) == "s3cret-key"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "holds no key"),
        ("\n  \n\t\n", "holds no key"),
        ("# my key\ns3cret\n", "starts with '#'"),
        ("two words\n", "spaces"),
        ("clé\n", "non-ASCII"),
    ],
)
def test_a_key_file_without_a_usable_key_refuses_to_start(tmp_path, capsys, text, says):
    key_file = tmp_path / "key"
    key_file.write_text(text, encoding="utf-8")
    with pytest.raises(EdgeclassError, match=says):
        read_api_key(str(key_file))
    assert main(["serve", "--api-key-file", str(key_file)]) == 2
    assert says in capsys.readouterr().err


def test_the_authorization_scheme_is_case_insensitive(make_app, jpeg):
    with TestClient(make_app(api_key="s3cret")) as client:
        for scheme in ("Bearer", "bearer", "BEARER"):
            answer = client.get("/v1/model", headers={"authorization": f"{scheme} s3cret"})
            assert answer.status_code == 200, scheme
        assert client.get("/v1/model", headers={"authorization": "Basic s3cret"}).status_code == 401
        assert client.get("/v1/model", headers={"authorization": "s3cret"}).status_code == 401


def test_the_docs_open_without_the_key_and_offer_it(make_app):
    with TestClient(make_app(api_key="s3cret")) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
        schema = client.get("/openapi.json")
        assert schema.status_code == 200
        assert client.get("/v1/model").status_code == 401  # the data still needs it
    schema = schema.json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert schema["paths"]["/v1/classify"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in schema["paths"]["/healthz"]["get"]
    assert "401" in schema["paths"]["/v1/classify"]["post"]["responses"]


# --- item 8: multipart names, the schema ------------------------------------------------------


def test_a_file_name_that_is_not_utf8_comes_back_exactly(client, jpeg):
    raw_name = b"caf\xe9 \xff.jpg"
    body = (
        b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + raw_name
        + b"\"\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n--b--\r\n"
    )  # fmt: skip
    answer = client.post(
        "/v1/classify", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert base64.b64decode(result["path_base64"]) == raw_name
    assert result["path"] == "caf\\xe9 \\xff.jpg"
    utf8 = client.post("/v1/classify", files=[("files", ("été.jpg", jpeg, "image/jpeg"))])
    assert utf8.json()["results"][0]["path"] == "été.jpg"
    assert utf8.json()["results"][0]["path_base64"] is None


def test_the_schema_tells_what_the_routes_do(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert list(paths["/metrics"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
    classify = paths["/v1/classify"]["post"]
    multipart = classify["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert multipart["required"] == ["files"] and multipart["properties"]["files"]["maxItems"] == 4
    assert set(classify["responses"]) == {
        "200",
        "400",
        "408",
        "413",
        "415",
        "422",
        "429",
        "503",
        "504",
    }
    infer = paths["/v2/models/{name}/infer"]["post"]
    assert infer["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InferenceRequest"
    }
    assert infer["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InferenceError"
    }
    assert "/v2/models/{name}/versions/{version}/infer" in paths
    assert "securitySchemes" not in schema["components"]  # no key on this server
