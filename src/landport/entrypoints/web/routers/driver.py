"""The driver's page: his truck's step and what to do next, by the pass on his link.

No account: the pass (`yard/driver_guide.py`) names one visit and cannot be forged, so the
check is the pass itself; a wrong one is refused like a missing login (401). The answer
holds the truck's step, station, slot, departure and the rest stops of its route, never the
goods or the enterprise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response

from landport.adapters.db.custody_queries import rest_stops_of
from landport.adapters.db.yard_queries import driver_journey, visit_view
from landport.entrypoints.web.deps import ServicesDep, Unauthenticated
from landport.entrypoints.web.driver_links import pass_key
from landport.entrypoints.web.routers.yard import yard_layout_of
from landport.yard.driver_guide import (
    Whereabouts,
    as_it_stands,
    departure_words,
    hour_to_come,
    link_expired,
    next_step,
    shows_rest_stops,
    stage,
    stopped_by_hold,
    visit_of_pass,
)
from landport.yard.visits import VisitStatus

router = APIRouter(prefix="/api/v1", tags=["driver"])


def driver_view(services: ServicesDep, token: str) -> dict[str, Any]:
    """The driver's view of the visit this pass is for; 401 for any other token, and for a
    link whose truck left the yard days ago."""
    visit_id = visit_of_pass(pass_key(services), token)
    view = None
    if visit_id is not None:
        places = services.bus.context.catalog.places
        view = visit_view(services.read_engine, visit_id, yard_layout_of(services), places)
    if view is None:
        raise Unauthenticated("this driver link is not valid", "司机链接无效")
    status = VisitStatus(view["status"])
    if link_expired(status, datetime.fromisoformat(view["updated_at"]), services.clock.now()):
        raise Unauthenticated("this driver link has expired", "司机链接已过期")
    station, departure = view["station"], view["departure"]
    journey = driver_journey(services.read_engine, view.get("declaration_id"))
    trip, booked = journey["trip"], journey["appointment"]
    port_id = (departure or {}).get("port") or (trip or {}).get("exit_port")
    place = services.bus.context.catalog.places.get(port_id) if port_id else None
    where = as_it_stands(
        Whereabouts(
            status=status,
            station_id=station["station_id"] if station else None,
            station_is_bay=bool(station and station["kind"] == "bay"),
            station_en=station["name_en"] if station else None,
            station_zh=station["name_zh"] if station else None,
            slot_id=view["slot"]["slot_id"] if view["slot"] else None,
            held=any(h["active"] for h in view["holds"]),
            leave_at=_beijing(departure, "at_beijing"),
            arrive_at=_beijing(departure, "expected_arrival_beijing"),
            port_en=place.short_name_en if place else None,
            port_zh=place.name_zh if place else None,
            booked_hour=hour_to_come(booked["slot_start"], booked["status"]) if booked else None,
            trip_state=trip["state"] if trip else None,
        )
    )
    en, zh = next_step(where)
    words = departure_words(where)
    return {
        "plate": view["plate"],
        "status": view["status"],
        "status_zh": view["status_zh"],
        "stage": stage(where),
        "next_en": en,
        "next_zh": zh,
        "held": stopped_by_hold(where),
        "station": station if where.station_id else None,
        "slot": where.slot_id,
        "exit_port": {"id": port_id, "en": where.port_en, "zh": where.port_zh} if port_id else None,
        "departure": None
        if departure is None or words is None
        else {
            "at_beijing": departure["at_beijing"],
            "expected_arrival_beijing": departure.get("expected_arrival_beijing"),
            "driver_en": words[0],
            "driver_zh": words[1],
        },
        # where he may stop on the road without an alert, from the sealing to the border
        "rest_stops": [
            {"id": z.id, "en": z.names[0], "zh": z.names[1]}
            for z in rest_stops_of(services.read_engine, trip["route_id"], trip["route_version"])
        ]
        if trip and shows_rest_stops(trip["state"])
        else [],
        "steps": [{"status": s["status"], "at": s["at"]} for s in view["steps"]],
        "updated_at": view["updated_at"],
    }


def _beijing(departure: dict[str, Any] | None, key: str) -> datetime | None:
    value = departure.get(key) if departure else None
    return datetime.fromisoformat(value) if isinstance(value, str) else None


#: A link is a credential: no cache keeps it, no page it leads to learns it.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@router.get("/driver/{token}")
def driver(token: str, services: ServicesDep, response: Response) -> dict[str, Any]:
    """The pass is the credential: one visit, no other data."""
    response.headers.update(PRIVATE)
    return driver_view(services, token)
