"""The OpenAPI schema (/openapi.json, /docs) as the server really behaves: every status code a
route answers, the content types, the request bodies the routes parse by hand, and the key.

The routes read their bodies themselves (three body types on /v1/classify, Triton's binary
extension on /v2), so FastAPI cannot see them: they are described here. A route missing from
ROUTES stops the schema from building, so a new route cannot go undocumented.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from edgeclass.runtime.results import Status
from edgeclass.serve.config import ServeConfig
from edgeclass.serve.errors import is_v2
from edgeclass.serve.inputs import ClassifyJson
from edgeclass.serve.kserve import VERSION, InferenceRequest
from edgeclass.serve.limits import is_open

ERRORS = {
    400: "Malformed request: not JSON, not multipart, a bad input tensor",
    404: "No such model, or no such version of it",
    408: "The request's body did not arrive within --timeout",
    413: "Body over --max-body-mb, more than --max-images images, or more work than one request "
    "may cause (--max-request-mp, --max-request-decode-s)",
    415: "Unsupported Content-Type or Content-Encoding",
    422: "Invalid parameters, or the request's single image could not be classified",
    429: "This client's share is used (--max-client-mp, --client-decode-s); see Retry-After",
    503: "Busy (--max-queue) or shutting down; see Retry-After",
    504: "Not answered within --timeout",
}
UNAUTHORIZED = "Missing or wrong API key: send 'Authorization: Bearer KEY'"

BODY_ERRORS = [408, 413, 415]
ROUTES: dict[tuple[str, str], list[int]] = {
    ("/v1/classify", "post"): [400, *BODY_ERRORS, 422, 429, 503, 504],
    ("/v1/model", "get"): [503],
    ("/healthz", "get"): [],
    ("/readyz", "get"): [503],
    ("/metrics", "get"): [503],
    ("/v2", "get"): [503],
    ("/v2/health/live", "get"): [],
    ("/v2/health/ready", "get"): [503],
    ("/v2/models/{name}", "get"): [404, 503],
    ("/v2/models/{name}/versions/{version}", "get"): [404, 503],
    ("/v2/models/{name}/ready", "get"): [404, 503],
    ("/v2/models/{name}/versions/{version}/ready", "get"): [404, 503],
    ("/v2/models/{name}/infer", "post"): [400, 404, *BODY_ERRORS, 429, 503, 504],
    ("/v2/models/{name}/versions/{version}/infer", "post"): [400, 404, *BODY_ERRORS, 429, 503, 504],
}

# Answers that are not errors in the API's shape.
NOT_READY = {
    "/readyz": {"type": "object", "properties": {"status": {"type": "string"}}},
    "/v2/health/ready": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
    "/v2/models/{name}/ready": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
    "/v2/models/{name}/versions/{version}/ready": {
        "type": "object",
        "properties": {"ready": {"type": "boolean"}},
    },
}

REF = "#/components/schemas/"
SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "array"}]}},
    },
    "InferenceError": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    },
    "Result": {
        "type": "object",
        "required": ["path", "status", "top_k"],
        "properties": {
            "path": {"type": "string", "description": "the name the client gave"},
            "path_base64": {
                "type": ["string", "null"],
                "description": "the exact name's bytes, when `path` cannot show them",
            },
            "status": {"type": "string", "enum": [status.value for status in Status]},
            "label": {"type": ["string", "null"]},
            "score": {"type": ["number", "null"]},
            "top_k": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"label": {"type": "string"}, "score": {"type": "number"}},
                },
            },
            "message": {"type": "string"},
            "width": {"type": ["integer", "null"]},
            "height": {"type": ["integer", "null"]},
        },
    },
    "ClassifyAnswer": {
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": {"$ref": REF + "Result"}}},
    },
    "ClassifyRejection": {
        "type": "object",
        "required": ["detail"],
        "description": "`results` holds the one image's result when it could not be classified",
        "properties": {
            "detail": {"anyOf": [{"type": "string"}, {"type": "array"}]},
            "results": {"type": "array", "items": {"$ref": REF + "Result"}},
        },
    },
    "InferenceResponse": {
        "type": "object",
        "required": ["model_name", "outputs"],
        "properties": {
            "model_name": {"type": "string"},
            "model_version": {"type": "string"},
            "id": {"type": "string"},
            "outputs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "datatype", "shape"],
                    "properties": {
                        "name": {"type": "string"},
                        "datatype": {"type": "string"},
                        "shape": {"type": "array", "items": {"type": "integer"}},
                        "data": {"type": "array"},
                        "parameters": {"type": "object"},
                    },
                },
            },
        },
    },
}


def describe_api(app: FastAPI, config: ServeConfig, model_name: str) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            _add_components(schema, config)
            for path, methods in schema["paths"].items():
                for method, operation in methods.items():
                    _describe(path, method, operation, config)
                    _name_the_model(operation, model_name)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_components(schema: dict[str, Any], config: ServeConfig) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ClassifyJson, InferenceRequest):
        definitions = model.model_json_schema(ref_template=REF + "{model}")
        components.update(definitions.pop("$defs", {}))
        components[model.__name__] = definitions
    components["ClassifyJson"]["properties"]["images"]["maxItems"] = config.max_images
    components["RequestInput"]["properties"]["shape"]["items"]["maximum"] = config.max_images
    components.update(SCHEMAS)
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    if config.api_key:
        schema["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "the server's API key"}
        }


def _describe(path: str, method: str, operation: dict[str, Any], config: ServeConfig) -> None:
    try:
        statuses = ROUTES[(path, method)]
    except KeyError:
        raise AssertionError(f"{method.upper()} {path} is missing from openapi.ROUTES") from None
    error = {"$ref": REF + ("InferenceError" if is_v2(path) else "Error")}
    ok = operation["responses"]["200"]
    responses: dict[str, Any] = {"200": ok}
    for status in statuses:
        body, description = error, ERRORS[status]
        if status == 503 and path in NOT_READY:
            body, description = NOT_READY[path], "Not ready yet, or shutting down"
        elif status == 422 and path == "/v1/classify":
            body = {"$ref": REF + "ClassifyRejection"}
        responses[str(status)] = {
            "description": description,
            "content": {"application/json": {"schema": body}},
        }
    if config.api_key and not is_open(path):
        responses["401"] = {
            "description": UNAUTHORIZED,
            "content": {"application/json": {"schema": error}},
        }
        operation["security"] = [{"bearer": []}]
    operation["responses"] = dict(sorted(responses.items()))
    if path == "/metrics":
        ok["content"] = {"text/plain": {"schema": {"type": "string"}}}
        ok["description"] = "Prometheus text format"
    elif path == "/v1/classify":
        ok["content"] = {"application/json": {"schema": {"$ref": REF + "ClassifyAnswer"}}}
        _describe_classify(operation, config)
    elif path.endswith("/infer"):
        ok["content"] = {
            "application/json": {"schema": {"$ref": REF + "InferenceResponse"}},
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary"},
                "description": "outputs asked for in binary form: the JSON answer (its length in "
                "the Inference-Header-Content-Length header), then their bytes",
            },
        }
        _describe_infer(operation)


def _name_the_model(operation: dict[str, Any], model_name: str) -> None:
    """The server has one model, with one version: the path parameters can take one value."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] == "name":
            parameter["schema"] = {"type": "string", "enum": [model_name]}
        elif parameter["in"] == "path" and parameter["name"] == "version":
            parameter["schema"] = {"type": "string", "enum": [VERSION]}


def _describe_classify(operation: dict[str, Any], config: ServeConfig) -> None:
    operation["parameters"] = [
        _query("top_k", {"type": "integer", "minimum": 1}, "best labels per image (default 1)"),
        _query(
            "threshold",
            {"type": "number", "minimum": 0, "maximum": 1},
            "label `unknown` under this probability (default --threshold)",
        ),
        _query("name", {"type": "string"}, "the image's name, for an image/* body"),
    ]
    operation["requestBody"] = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "minItems": 1,
                            "maxItems": config.max_images,
                        },
                        "top_k": {"type": "integer", "minimum": 1},
                        "threshold": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                }
            },
            "application/json": {"schema": {"$ref": REF + "ClassifyJson"}},
            "image/*": {"schema": {"type": "string", "format": "binary"}},
        },
    }


def _describe_infer(operation: dict[str, Any]) -> None:
    operation["parameters"] = [
        *operation.get("parameters", []),
        {
            "name": "Inference-Header-Content-Length",
            "in": "header",
            "required": False,
            "description": "Triton's binary tensor extension: the length of the JSON part; "
            "the binary input data follows it",
            "schema": {"type": "integer", "minimum": 0},
        },
    ]
    operation["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": REF + "InferenceRequest"}},
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary"},
                "description": "the JSON request, then the binary input data",
            },
        },
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }
