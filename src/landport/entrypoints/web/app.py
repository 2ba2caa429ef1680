"""The FastAPI application factory: no settings or engines are created at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from landport.adapters.db.screen_queries import owner_of
from landport.adapters.live_events import LiveEventHub
from landport.bootstrap import Services, bootstrap
from landport.entrypoints.web.errors import install_error_handlers
from landport.entrypoints.web.request_guard import RequestGuard
from landport.entrypoints.web.routers import (
    accounts,
    admin,
    api_keys,
    appointments,
    audit,
    auth,
    custody,
    customs,
    declarations,
    driver,
    events,
    reports,
    risk,
    screen,
    telemetry,
    yard,
)
from landport.entrypoints.web.ui.install import install_ui
from landport.settings import Settings, get_settings


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    services = services or bootstrap(settings or get_settings())
    # Screens hear what the bus commits; an in-process telemetry transport (the demo, the
    # twin) hands its reports to `app.state.live_events.on_ingest_report`.
    hub = LiveEventHub(lambda d, t: owner_of(services.read_engine, d, t))
    hub.attach(services.bus)

    bridge = None
    if services.settings.ui.live_events_from_mqtt:
        from landport.adapters.live_events_mqtt import MqttEventBridge

        bridge = MqttEventBridge(hub, services.settings.mqtt)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if bridge is not None:
            bridge.start()
        yield
        if bridge is not None:
            bridge.stop()
        hub.close()
        services.dispose()

    app = FastAPI(
        title="Landport",
        summary="Inland land port: declare once, inspect once, pass straight through.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from our own origin: FastAPI's page loads a CDN
        redoc_url=None,
    )
    app.state.services = services
    app.state.live_events = hub
    install_error_handlers(app)
    app.add_middleware(RequestGuard)  # body size, UTF-8 and storable text, before any route
    for module in (
        auth,
        declarations,
        customs,
        risk,
        admin,
        accounts,
        audit,
        custody,
        telemetry,
        yard,
        appointments,
        reports,
        api_keys,
        events,
        screen,
        driver,
    ):
        app.include_router(module.router)
    install_ui(app)

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Public, as the OpenAPI document is: the page works at a border post offline."""
        vendor = "/assets/vendor/swagger-ui"
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Landport API",
            swagger_js_url=f"{vendor}/swagger-ui-bundle.js",
            swagger_css_url=f"{vendor}/swagger-ui.css",
            swagger_favicon_url=f"{vendor}/favicon-32x32.png",
            # no badge from validator.swagger.io: the page must not reach for the internet
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/api/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        """Public by design: load balancers probe it without credentials."""
        return {"status": "ok"}

    return app
