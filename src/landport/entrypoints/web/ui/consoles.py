"""The role consoles (declarant, customs, yard, border, admin) under /console/...

Pages here are included before the generic workspace page, so a route defined here for
`/console/{area}` wins. See docs/ui.md for how a page is added.

Each page is a server-rendered shell in the visitor's language (labels, code lists, the
yard layout, the port calendars); its script then calls the same JSON API as every other
client, so the rules, the role checks and the error messages are the API's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from landport.adapters.certificates import MalformedToken, parse_qr_payload, verify_qr_payload
from landport.adapters.ed25519_keys import public_keyring
from landport.adapters.signing_keys import public_keys
from landport.declarations.ports import ClearanceContext
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.deps import ServicesDep, require
from landport.entrypoints.web.ui.web import language, page_require, render
from landport.reference.catalog import ReferenceCatalog
from landport.seals.calendar import PortCalendar
from landport.shared.errors import InvalidInput, Violation
from landport.yard.model import Gate, ScanLane, Station, YardLayout, display_name
from landport.yard.visits import HAND_MOVES, TRANSITIONS

router = APIRouter(include_in_schema=False)

DeclarantPage = Annotated[Actor, Depends(page_require(Role.DECLARANT))]
CustomsPage = Annotated[Actor, Depends(page_require(Role.CUSTOMS_OFFICER))]
YardPage = Annotated[Actor, Depends(page_require(Role.YARD_OPERATOR))]
BorderPage = Annotated[Actor, Depends(page_require(Role.BORDER_OFFICER))]
AdminPage = Annotated[Actor, Depends(page_require(Role.PORT_ADMIN))]
QrReader = Annotated[Actor, Depends(require(Role.BORDER_OFFICER, Role.CUSTOMS_OFFICER))]

#: The goods units the declaration form offers first (the API accepts the whole code list).
COMMON_UNITS = ("piece", "set", "kg", "vehicle", "carton", "pair", "t", "m", "unit")
CURRENCIES = ("CNY", "USD", "NPR", "EUR", "HKD")


def _catalog(request: Request) -> ReferenceCatalog:
    catalog: ReferenceCatalog = request.app.state.services.bus.context.catalog
    return catalog


def _calendars(request: Request) -> Mapping[str, PortCalendar]:
    """The published calendars with the closures stored since."""
    context: ClearanceContext = request.app.state.services.bus.context
    return context.calendars_in()


def _codes(table: Any, lang: str) -> list[dict[str, str]]:
    return [
        {"code": e.code, "name": (e.name_zh if lang == "zh-CN" else "") or e.name_en}
        for e in table.values()
    ]


def _hours(hours: Any) -> list[list[str]]:
    def clock(t: time) -> str:
        return "24:00" if t == time.max else t.strftime("%H:%M")

    return [[clock(opens), clock(closes)] for opens, closes in hours]


def _names(resource: Gate | ScanLane | Station) -> dict[str, str]:
    """Both names, so the page can follow a language switch without asking again."""
    return {"name_en": display_name(resource, "en"), "name_zh": display_name(resource, "zh-CN")}


def _layout_json(layout: YardLayout) -> dict[str, Any]:
    """What the yard console draws: lanes, bays and every parking slot by zone."""
    return {
        "yard_id": layout.yard_id,
        "gates": [
            {"id": g.id, **_names(g), "direction": g.direction, "hours": _hours(g.hours)}
            for g in layout.gates
        ],
        "scan_lanes": [
            {"id": lane.id, **_names(lane), "kind": lane.kind, "hours": _hours(lane.hours)}
            for lane in layout.scan_lanes
        ],
        "exam_bays": [
            {"id": b.id, **_names(b), "hours": _hours(b.hours)} for b in layout.exam_bays
        ],
        "parking_zones": [
            {"id": z.id, "kind": z.kind.value, "slots": [s.id for s in z.slots]}
            for z in layout.zones
        ],
        "moves": {  # buttons for the steps taken by hand only (`HAND_MOVES`)
            status.value: sorted(t.value for t in targets if t in HAND_MOVES)
            for status, targets in TRANSITIONS.items()
        },
    }


@router.get("/console/declarant", response_class=HTMLResponse)
def declarant_console(request: Request, actor: DeclarantPage) -> Response:
    """Declare, follow the declarations, book a slot, follow the trucks."""
    catalog = _catalog(request)
    lang = language(request)
    context = {
        "trade_modes": _codes(catalog.trade_modes, lang),
        "transport_modes": _codes(catalog.transport_modes, lang),
        "trade_terms": _codes(catalog.trade_terms, lang),
        "provinces": _codes(catalog.provinces, lang),
        "exit_ports": sorted(catalog.exit_ports),
        "container_types": sorted(catalog.container_max_gross_kg),
        "units": [u for u in COMMON_UNITS if u in catalog.units] or sorted(catalog.units),
        "currencies": [c for c in CURRENCIES if c in catalog.cny_per_unit],
        "uscc": actor.enterprise_uscc or "",
    }
    return render(request, "consoles/declarant.html", context, actor=actor)


@router.get("/console/customs", response_class=HTMLResponse)
def customs_console(request: Request, actor: CustomsPage) -> Response:
    """The worklist, inspections, decisions and e-lock arming."""
    return render(request, "consoles/customs.html", {}, actor=actor)


@router.get("/console/yard", response_class=HTMLResponse)
def yard_console(request: Request, actor: YardPage) -> Response:
    """Gate board, lanes and bays, parking map, holds: drawn from the layout in force."""
    services = request.app.state.services
    layout = services.yard_files.layout()
    context = {"layout": _layout_json(layout)}
    return render(request, "consoles/yard.html", context, actor=actor)


@router.get("/console/border", response_class=HTMLResponse)
def border_console(request: Request, actor: BorderPage) -> Response:
    """Verify and release at the officer's own border port."""
    return render(request, "consoles/border.html", {"port_id": actor.port_id}, actor=actor)


@router.get("/console/admin", response_class=HTMLResponse)
def admin_console(request: Request, actor: AdminPage) -> Response:
    """Users, enterprises, risk rules, port calendars, route import."""
    catalog = _catalog(request)
    calendars = [
        {
            "port_id": c.port_id,
            "hours": _hours(c.hours),
            "hours_confidence": c.hours_confidence,
            "closures": [
                {"start": x.start.isoformat(), "end": x.end.isoformat(), "reason": x.reason}
                for x in c.closures
            ],
        }
        for c in sorted(_calendars(request).values(), key=lambda c: c.port_id)
    ]
    context = {
        "calendars": calendars,
        "roles": [r.value for r in Role],
        "provinces": _codes(catalog.provinces, language(request)),
        "exit_ports": sorted(catalog.exit_ports),
    }
    return render(request, "consoles/admin.html", context, actor=actor)


class QrBody(BaseModel):
    token: str = Field(min_length=1, max_length=2000)


@router.post("/console/border/qr")
def read_certificate_qr(body: QrBody, services: ServicesDep, actor: QrReader) -> dict[str, Any]:
    """The trip a scanned certificate QR names, and whether it holds now (the port's clock):
    signed by the port's key and not expired. `reasons` carry each refusal's code (the
    console words `expired` itself, with `valid_until`)."""
    try:
        claims = parse_qr_payload(body.token)
    except MalformedToken as exc:
        raise InvalidInput(
            [
                Violation(
                    "qr",
                    "qr_malformed",
                    f"the scanned text is not a Landport trip certificate ({exc})",
                    "二维码不是有效的陆港通关证书",
                )
            ]
        ) from None
    keys = public_keyring(public_keys(environment=services.settings.environment))
    check = verify_qr_payload(body.token, keys, at=services.clock.now())
    return {
        "trip_id": claims["trip_id"],
        "seal_id": claims["seal_id"],
        "vehicle_plate": claims["vehicle_plate"],
        "issued_at": claims["issued_at"],
        "valid_until": check.as_dict()["valid_until"],
        "valid": check.valid,
        "reasons": [r.as_dict() for r in check.reasons],
        "reasons_en": [r.message_en for r in check.reasons],
        "reasons_zh": [r.message_zh for r in check.reasons],
    }
