"""Approved transit routes (corridors): the list, one route as GeoJSON, import from a file.

Part of the custody API: `custody.router` includes this router where its routes belong, so
paths (under `/api/v1`), tags and order are unchanged.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from landport.adapters.db.custody_queries import existing_routes
from landport.adapters.route_files import routes_from_file
from landport.entrypoints.web.deps import Admin, AnyUser, ServicesDep
from landport.seals.approved import ApprovedRoute
from landport.seals.commands import ImportRoutes
from landport.shared.errors import InvalidInput, NotFound, Violation

router = APIRouter()

MAX_ROUTE_UPLOAD = 20 * 1024 * 1024


def _route_summary(route: ApprovedRoute) -> dict[str, Any]:
    return {
        "route_id": route.route_id,
        "name": route.name,
        "from_place": route.from_place,
        "to_port": route.to_port,
        "road_km": route.road_km,
        "typical_hours": route.typical_hours,
        "half_width_m": route.half_width_m,
        "version": route.version,
        "points": len(route.coordinates),
        "zones": len(route.zones),
        "confidence": route.confidence,
        "approximate": route.approximate,
        "notice_en": "Approximate corridor, not surveyed" if route.approximate else None,
        "notice_zh": "通道为估算，未经实测" if route.approximate else None,
    }


@router.get("/routes")
def routes(services: ServicesDep, actor: AnyUser) -> dict[str, Any]:
    return {"items": [_route_summary(r) for r in existing_routes(services.read_engine).values()]}


@router.get("/routes/{route_id}")
def route(route_id: str, services: ServicesDep, actor: AnyUser) -> dict[str, Any]:
    """GeoJSON: the corridor's centre line and its permitted zones (circles, radius_m)."""
    found = existing_routes(services.read_engine).get(route_id)
    if found is None:
        raise NotFound(f"route {route_id} not found", f"未找到路线 {route_id}")
    line = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [list(c) for c in found.coordinates]},
        "properties": {**_route_summary(found), "role": "corridor"},
    }
    zones = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [z.lon, z.lat]},
            "properties": {**z.as_dict(), "role": "permitted_zone"},
        }
        for z in found.zones
    ]
    return {"type": "FeatureCollection", **_route_summary(found), "features": [line, *zones]}


def _file_problem(code: str, en: str, zh: str) -> InvalidInput:
    return InvalidInput([Violation("file", code, en, "路线文件无效：" + zh)])


@router.post("/routes/import", status_code=201)
def import_routes(
    services: ServicesDep,
    actor: Admin,
    file: Annotated[UploadFile, File(description="GeoJSON (routes) or GPX (one track)")],
    route_id: Annotated[str | None, Form(description="required for GPX")] = None,
    half_width_m: Annotated[float | None, Form(gt=0, le=5000)] = None,
) -> dict[str, Any]:
    """Approve routes from a file; a surveyed track replaces an estimate (new version)."""
    data = file.file.read(MAX_ROUTE_UPLOAD + 1)
    if len(data) > MAX_ROUTE_UPLOAD:
        raise _file_problem("file_too_large", "the file exceeds 20 MB", "超过 20 MB")
    gpx = (file.filename or "").lower().endswith(".gpx") or data.lstrip()[:5] in (b"<?xml", b"<gpx")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("upload.gpx" if gpx else "upload.geojson")
        path.write_bytes(data)
        try:
            parsed = routes_from_file(
                path,
                route_id=route_id,
                existing=existing_routes(services.read_engine),
                half_width_m=half_width_m,
                reference_dir=services.settings.reference_dir,
            )
        except UnicodeDecodeError:
            raise _file_problem(
                "not_utf8", "the file is not UTF-8 text", "不是 UTF-8 文本"
            ) from None
    versions = services.bus.handle(ImportRoutes(actor, tuple(parsed))).result
    return {
        "imported": [
            {**_route_summary(r), "version": v} for r, v in zip(parsed, versions, strict=True)
        ]
    }
