"""Mounts the web UI on the API's app: pages, consoles, assets and their error pages."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response

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

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"/login?next={quote(target, safe='/')}")

    @app.exception_handler(PageForbidden)
    async def page_forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "error.html", {"status": 403}, status_code=403, actor=exc.actor)
