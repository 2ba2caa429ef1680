"""The FastAPI application factory: no settings or engines are created at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from landport.bootstrap import Services, bootstrap
from landport.entrypoints.web.errors import install_error_handlers
from landport.entrypoints.web.routers import (
    admin,
    api_keys,
    appointments,
    auth,
    custody,
    customs,
    declarations,
    reports,
    risk,
    telemetry,
    yard,
)
from landport.settings import Settings, get_settings


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    services = services or bootstrap(settings or get_settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        services.dispose()

    app = FastAPI(
        title="Landport",
        summary="Inland land port: declare once, inspect once, pass straight through.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    for module in (
        auth,
        declarations,
        customs,
        risk,
        admin,
        custody,
        telemetry,
        yard,
        appointments,
        reports,
        api_keys,
    ):
        app.include_router(module.router)

    @app.get("/api/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        """Public by design: load balancers probe it without credentials."""
        return {"status": "ok"}

    return app
