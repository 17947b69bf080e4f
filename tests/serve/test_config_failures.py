"""The server's key and bind rules through the public config functions (read_api_key,
ServeConfig.check): $EDGECLASS_API_KEY, an empty key file, --insecure, and which hosts count as
this machine only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from edgeclass.errors import EdgeclassError
from edgeclass.serve.app import create_app
from edgeclass.serve.config import API_KEY_ENV, ServeConfig, read_api_key

LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "localhost"]
REACHABLE = ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "localhost.example.com"]


def test_the_key_comes_from_the_environment_when_no_file_is_given(monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "  from-the-environment \n")
    assert read_api_key(None) == "from-the-environment"


def test_a_key_file_wins_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(API_KEY_ENV, "from-the-environment")
    key_file = tmp_path / "key"
    key_file.write_text("\n  from-the-file  \n", encoding="utf-8")
    assert read_api_key(str(key_file)) == "from-the-file"


@pytest.mark.parametrize("value", ["", "   \n"])
def test_no_key_at_all_is_none(monkeypatch, value):
    monkeypatch.setenv(API_KEY_ENV, value)  # set but blank is no key, not an empty key
    assert read_api_key(None) is None


@pytest.mark.parametrize("content", ["", "\n \n\t\n"])
def test_an_empty_key_file_is_an_error_not_an_empty_key(monkeypatch, tmp_path, content):
    monkeypatch.setenv(API_KEY_ENV, "from-the-environment")  # not silently used instead
    key_file = tmp_path / "key"
    key_file.write_text(content, encoding="utf-8")
    with pytest.raises(EdgeclassError, match="empty"):
        read_api_key(str(key_file))


def test_the_environments_key_guards_the_routes(monkeypatch, tiny_classifier):
    monkeypatch.setenv(API_KEY_ENV, "s3cret")
    config = ServeConfig(host="0.0.0.0", api_key=read_api_key(None))
    config.check()  # a key: the open bind is allowed
    with TestClient(create_app(tiny_classifier, config)) as client:
        assert client.get("/v1/model").status_code == 401
        headers = {"authorization": "Bearer s3cret"}
        assert client.get("/v1/model", headers=headers).status_code == 200


@pytest.mark.parametrize("host", LOOPBACK)
def test_this_machine_only_needs_no_key(host):
    ServeConfig(host=host).check()


@pytest.mark.parametrize("host", REACHABLE)
def test_a_reachable_bind_needs_a_key_or_insecure(host):
    with pytest.raises(EdgeclassError) as refused:
        ServeConfig(host=host).check()
    message = str(refused.value)
    assert "--api-key-file" in message and API_KEY_ENV in message and "--insecure" in message
    ServeConfig(host=host, api_key="k").check()
    ServeConfig(host=host, insecure=True).check()
