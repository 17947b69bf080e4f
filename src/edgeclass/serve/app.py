"""Build the FastAPI app: routes, middleware (outermost first below), errors, lifespan."""

from __future__ import annotations

import contextlib

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from edgeclass import __version__
from edgeclass.runtime import Classifier
from edgeclass.serve import kserve, routes
from edgeclass.serve.access_log import AccessLog
from edgeclass.serve.batcher import Predict
from edgeclass.serve.config import ServeConfig
from edgeclass.serve.docs_ui import add_offline_docs
from edgeclass.serve.inputs import ClassifyJson
from edgeclass.serve.limits import RETRY_AFTER_S, ApiKey, BodyLimit, RefuseWhileDraining
from edgeclass.serve.metrics import Metrics
from edgeclass.serve.service import InferenceService, QueueFull, RequestTimeout


def create_app(
    classifier: Classifier, config: ServeConfig, *, predict: Predict | None = None
) -> FastAPI:
    """The server for a loaded classifier. `predict` replaces classifier.predict (tests)."""
    metrics = Metrics()
    service = InferenceService(classifier, config, metrics, predict=predict)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(
        title="edgeclass",
        version=__version__,
        summary="Offline image classification over HTTP",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.include_router(routes.router)
    app.include_router(kserve.router)
    add_offline_docs(app)
    _add_schema(app, ClassifyJson)
    app.add_exception_handler(QueueFull, _queue_full)
    app.add_exception_handler(RequestTimeout, _timeout)
    app.add_exception_handler(kserve.V2Error, kserve.v2_error_response)

    # add_middleware puts each one outside the previous: the last added sees requests first.
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    if config.api_key:
        app.add_middleware(ApiKey, key=config.api_key)
    app.add_middleware(RefuseWhileDraining, service=service)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
        )
    app.add_middleware(AccessLog, metrics=metrics)
    return app


def _queue_full(request: Request, error: QueueFull) -> JSONResponse:
    request.app.state.service.metrics.rejected.labels("queue_full").inc()
    return JSONResponse(
        {"detail": f"server busy: {error}; retry shortly"},
        status_code=503,
        headers={"retry-after": str(RETRY_AFTER_S)},
    )


def _timeout(request: Request, error: RequestTimeout) -> JSONResponse:
    request.app.state.service.metrics.rejected.labels("timeout").inc()
    return JSONResponse({"detail": f"request timed out: {error}"}, status_code=504)


def _add_schema(app: FastAPI, model) -> None:
    """Put a body model the routes parse by hand into the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            definitions = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definitions.pop("$defs", {}))
            components[model.__name__] = definitions
        return app.openapi_schema

    app.openapi = openapi
