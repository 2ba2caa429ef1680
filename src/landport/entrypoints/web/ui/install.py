"""Mounts the web UI on the API's app: pages, consoles, assets and their error pages."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from landport.entrypoints.web.errors import http_error
from landport.entrypoints.web.ui import consoles, driver_page, pages, screen_page
from landport.entrypoints.web.ui.assets import (
    STATIC_DIR,
    AppStatic,
    default_vendor_dir,
    vendor_missing,
    vendor_router,
)
from landport.entrypoints.web.ui.web import LoginRequired, PageForbidden, redirect, render

log = logging.getLogger("landport.web")


def wants_html(request: Request) -> bool:
    """A browser's page request (Accept names text/html), outside the JSON API."""
    path = request.url.path
    return not path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def install_ui(app: FastAPI) -> None:
    settings = app.state.services.settings.ui
    vendor_dir = settings.vendor_dir or default_vendor_dir()
    app.state.vendor_dir = vendor_dir
    missing = vendor_missing(vendor_dir)
    if missing:  # pages still render; maps and charts stay empty until `make assets`
        log.warning(
            "web UI libraries missing under %s (run `make assets`): %s", vendor_dir, missing
        )
    # Consoles first: their /console/AREA pages take precedence over the generic workspace.
    pages_first = (consoles.router, screen_page.router, driver_page.router, pages.router)
    for router in (*pages_first, vendor_router(vendor_dir)):
        app.include_router(router)
    app.mount("/assets/app", AppStatic(directory=STATIC_DIR), name="app-assets")

    @app.exception_handler(StarletteHTTPException)
    async def not_found_page(request: Request, exc: StarletteHTTPException) -> Response:
        """An unknown page, asked for by a browser, gets the translated 404 page; the API and
        every client not asking for HTML keep the JSON answer."""
        if exc.status_code == 404 and wants_html(request):
            return render(request, "error.html", {"status": 404}, status_code=404)
        if exc.status_code in (404, 405):
            return http_error(exc)
        return await http_exception_handler(request, exc)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"/login?next={quote(target, safe='/')}")

    @app.exception_handler(PageForbidden)
    async def page_forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "error.html", {"status": 403}, status_code=403, actor=exc.actor)
