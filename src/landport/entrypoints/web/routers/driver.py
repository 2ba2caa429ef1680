"""The driver's page: his truck's step and what to do next, by the pass on his link.

No account: the pass (`yard/driver_guide.py`) names one visit and cannot be forged, so the
check is the pass itself; a wrong one is refused like a missing login (401). The answer
holds the truck's step, station, slot and departure, never the goods or the enterprise.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from landport.adapters.db.yard_queries import visit_view
from landport.entrypoints.web.deps import ServicesDep, Unauthenticated
from landport.entrypoints.web.driver_links import pass_key
from landport.entrypoints.web.routers.yard import yard_layout_of
from landport.yard.driver_guide import Whereabouts, next_step, stopped_by_hold, visit_of_pass
from landport.yard.visits import VisitStatus

router = APIRouter(prefix="/api/v1", tags=["driver"])


def driver_view(services: ServicesDep, token: str) -> dict[str, Any]:
    """The driver's view of the visit this pass is for; 401 for any other token."""
    visit_id = visit_of_pass(pass_key(services), token)
    view = (
        None
        if visit_id is None
        else visit_view(services.read_engine, visit_id, yard_layout_of(services))
    )
    if view is None:
        raise Unauthenticated("this driver link is not valid", "司机链接无效")
    station, slot, departure = view["station"], view["slot"], view["departure"]
    port = departure.get("port") if departure else None
    where = Whereabouts(
        status=VisitStatus(view["status"]),
        station_id=station["station_id"] if station else None,
        station_is_bay=bool(station and station["kind"] == "bay"),
        slot_id=slot["slot_id"] if slot else None,
        held=any(h["active"] for h in view["holds"]),
        departure_en=departure["driver_en"] if departure else None,
        departure_zh=departure["driver_zh"] if departure else None,
        exit_port=port,
    )
    en, zh = next_step(where)
    held = stopped_by_hold(where)
    return {
        "plate": view["plate"],
        "status": view["status"],
        "status_zh": view["status_zh"],
        "next_en": en,
        "next_zh": zh,
        "held": held,
        "station": station,
        "slot": slot["slot_id"] if slot else None,
        "exit_port": port,
        "departure": None
        if departure is None
        else {
            k: departure[k]
            for k in ("at_beijing", "expected_arrival_beijing", "driver_en", "driver_zh")
            if k in departure
        },
        "steps": [{"status": s["status"], "at": s["at"]} for s in view["steps"]],
        "updated_at": view["updated_at"],
    }


@router.get("/driver/{token}")
def driver(token: str, services: ServicesDep) -> dict[str, Any]:
    """The pass is the credential: one visit, no other data."""
    return driver_view(services, token)
