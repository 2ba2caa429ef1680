"""The driver's page on his phone: served by the pass in his link, refreshed every minute
(no script needed on a weak mountain connection)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from landport.entrypoints.web.deps import Unauthenticated
from landport.entrypoints.web.routers.driver import PRIVATE, driver_view
from landport.entrypoints.web.ui.web import render

router = APIRouter(include_in_schema=False)


@router.get("/driver/{token}", response_class=HTMLResponse)
def driver_page(token: str, request: Request) -> Response:
    services = request.app.state.services
    try:
        view = driver_view(services, token)
    except Unauthenticated:
        page = render(request, "error.html", {"status": 401}, status_code=401)
    else:
        page = render(request, "driver.html", {"truck": view})
    page.headers.update(PRIVATE)
    return page
