"""The monitoring big screen: a wall display of the whole port, live."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from landport.enterprises.model import Actor
from landport.entrypoints.web.deps import STAFF_ROLES
from landport.entrypoints.web.ui.web import page_require, render

router = APIRouter(include_in_schema=False)
ScreenViewer = Annotated[Actor, Depends(page_require(*STAFF_ROLES))]


@router.get("/screen", response_class=HTMLResponse)
def screen(request: Request, actor: ScreenViewer) -> Response:
    """Staff only: it shows every enterprise's trucks, so no declarant may open it."""
    ui = request.app.state.services.settings.ui
    return render(
        request,
        "screen.html",
        {"tile_url": ui.tile_url, "tile_attribution": ui.tile_attribution},
        actor=actor,
    )
