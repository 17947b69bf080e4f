"""Build the FastAPI app: routes, middleware (outermost first below), errors, lifespan."""

from __future__ import annotations

import contextlib

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from edgeclass import __version__
from edgeclass.runtime import Classifier
from edgeclass.serve import kserve, routes
from edgeclass.serve.access_log import AccessLog
from edgeclass.serve.batcher import Predict
from edgeclass.serve.config import ServeConfig
from edgeclass.serve.docs_ui import add_offline_docs
from edgeclass.serve.errors import add_error_handlers
from edgeclass.serve.limits import ApiKey, RefuseWhileDraining, RequestBody
from edgeclass.serve.metrics import Metrics
from edgeclass.serve.model_info import model_name
from edgeclass.serve.openapi import describe_api
from edgeclass.serve.service import InferenceService


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
    describe_api(app, config, model_name(classifier))
    add_error_handlers(app)

    # add_middleware puts each one outside the previous: the last added sees requests first.
    app.add_middleware(RequestBody, max_bytes=config.max_body_bytes, timeout_s=config.timeout_s)
    if config.api_key:
        app.add_middleware(ApiKey, key=config.api_key)
    app.add_middleware(RefuseWhileDraining, service=service)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "content-encoding"],
        )
    app.add_middleware(AccessLog, metrics=metrics, service=service)
    return app
