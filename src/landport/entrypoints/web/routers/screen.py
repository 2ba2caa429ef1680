"""Read endpoints of the monitoring big screen: figures, charts, trips on the map, one truck."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from landport.adapters.db.custody_queries import existing_routes, trip_view
from landport.adapters.db.queries import load_declaration
from landport.adapters.db.screen_queries import (
    latest_trip_of,
    map_trips,
    recent_alerts,
    screen_charts,
    screen_summary,
)
from landport.entrypoints.web.deps import ServicesDep, Staff
from landport.entrypoints.web.views import as_seen_by, declaration_view, passport_view
from landport.shared.clock import clock_rate
from landport.shared.errors import NotFound

#: A wall display logs in once as `auditor` (read-only); declarants may not watch: the screen
#: shows every enterprise's trucks.
ScreenReader = Staff

router = APIRouter(prefix="/api/v1/screen", tags=["screen"])


@router.get("/summary")
def summary(services: ServicesDep, actor: ScreenReader) -> dict[str, Any]:
    """The last 24 hours: trucks against capacity, where they are, clearance time, alerts.

    `as_of` is the platform's time and `clock_rate` how fast it runs, so that the screen's
    clock can tick on in the platform's time between two reads."""
    ui = services.settings.ui
    found = screen_summary(
        services.read_engine,
        services.clock.now(),
        capacity=ui.daily_truck_capacity,
        saving_per_container_cny=ui.saving_per_container_cny,
    )
    found["clock_rate"] = clock_rate(services.clock)
    return found


@router.get("/charts")
def charts(services: ServicesDep, actor: ScreenReader) -> dict[str, Any]:
    """Hourly throughput, cargo mix (old three vs new three), provinces, border ports."""
    found = screen_charts(
        services.read_engine,
        services.clock.now(),
        saving_per_container_cny=services.settings.ui.saving_per_container_cny,
    )
    catalog = services.bus.context.catalog
    for row in found["provinces"]:
        entry = catalog.provinces.get(row["province"])
        row["name_en"] = entry.name_en if entry else row["province"]
        row["name_zh"] = (entry.name_zh or entry.name_en) if entry else row["province"]
    for key in ("border_ports", "saving_by_port"):
        for row in found[key]:
            place = catalog.places.get(row["port"])
            row["name_en"] = place.name_en if place else row["port"]
            row["name_zh"] = place.name_zh if place else row["port"]
    return found


@router.get("/trips")
def trips(services: ServicesDep, actor: ScreenReader) -> dict[str, Any]:
    """Every armed trip's last position and worst open alert, for the live map."""
    return {"items": map_trips(services.read_engine)}


#: How far back the screen may ask for handled alerts: three days, a long weekend's work.
MAX_HANDLED_HOURS = 72


@router.get("/alerts")
def alerts(
    services: ServicesDep,
    actor: ScreenReader,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    include_handled_hours: Annotated[int, Query(ge=0, le=MAX_HANDLED_HOURS)] = 0,
) -> dict[str, Any]:
    """Unresolved alerts, newest first; with `include_handled_hours`, then up to `limit` alerts
    closed by the track or resolved by an officer in that many hours before the platform's
    clock, the latest ended first, with their closing time and the officer's finding."""
    since = None
    if include_handled_hours:
        since = services.clock.now() - timedelta(hours=include_handled_hours)
    return {"items": recent_alerts(services.read_engine, limit=limit, handled_since=since)}


@router.get("/map")
def port_map(services: ServicesDep, actor: ScreenReader) -> dict[str, Any]:
    """Our corridors (GeoJSON lines) and places; country borders come from the basemap file."""
    corridors = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in r.coordinates]},
            "properties": {
                "route_id": r.route_id,
                "name": r.name,
                "to_port": r.to_port,
                "road_km": r.road_km,
                "approximate": r.approximate,
            },
        }
        for r in existing_routes(services.read_engine).values()
    ]
    places = [
        {
            "id": p.id,
            "name_en": p.name_en,
            "name_zh": p.name_zh,
            "kind": p.kind,
            "lat": p.lat,
            "lon": p.lon,
            "confidence": p.confidence,
        }
        for p in services.bus.context.catalog.places.values()
    ]
    return {
        "corridors": {"type": "FeatureCollection", "features": corridors},
        "places": places,
        "tile_url": services.settings.ui.tile_url,
    }


@router.get("/trucks/{declaration_id}")
def truck(declaration_id: str, services: ServicesDep, actor: ScreenReader) -> dict[str, Any]:
    """One click on a truck: its declaration and goods, inspection passport, and trip."""
    found = load_declaration(services.read_engine, declaration_id)
    if found is None:
        raise NotFound(f"declaration {declaration_id} not found", f"未找到报关单 {declaration_id}")
    declaration, inspections = found
    passport = passport_view(declaration, inspections)
    trip_id = latest_trip_of(services.read_engine, declaration_id)
    trip = None
    if trip_id is not None:
        calendars = services.bus.context.calendars_in()
        trip = trip_view(services.read_engine, trip_id, calendars=calendars)
    return {
        "declaration": as_seen_by(actor, declaration_view(declaration, inspections)),
        "passport": passport,
        "trip": trip,
    }
