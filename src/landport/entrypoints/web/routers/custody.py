"""E-lock custody: seals, trips, alerts, routes, border verify-and-release, certificates.

Commands go through the bus; reads come from `adapters/db/custody_queries` and
`border_queries`; the routes' endpoints live in `transit_routes.py`, included here. Declarants
see their own enterprise's trips and certificates only, and those of the declarations it
lodged as customs broker (another's is 404, as for declarations).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from landport.adapters.certificates import (
    certificate_qr_png,
    certificate_qr_svg,
    document_json,
)
from landport.adapters.db.border_queries import border_check, find_trip_id
from landport.adapters.db.custody_queries import (
    TRIP_ORDERS,
    TripFilter,
    alert_view,
    list_alerts,
    list_seals,
    list_trips,
    trip_view,
)
from landport.adapters.signing_keys import (
    NoCertificate,
    public_key_view,
    public_keys,
    signing_key,
    trip_certificate,
)
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.deps import AnyUser, Officer, ServicesDep, require
from landport.entrypoints.web.routers import transit_routes
from landport.entrypoints.web.views import (
    KeyPath,
    Page,
    PageSize,
    exit_port_filter,
    status_filter,
)
from landport.seals.alert_handling import HandleTripAlert
from landport.seals.border_handlers import (
    GateReading,
    ReferToInspection,
    ReleaseAtBorder,
    judged_as,
)
from landport.seals.commands import (
    ArmSeal,
    ChangeSealState,
    RegisterSeal,
    RemoveSeal,
    ResetTerminalRegistration,
)
from landport.seals.model import TripState
from landport.shared.errors import InvalidInput, NotFound, Violation

router = APIRouter(prefix="/api/v1", tags=["custody"])

SealKeeper = Annotated[Actor, Depends(require(Role.PORT_ADMIN, Role.CUSTOMS_OFFICER))]
SealReader = Annotated[
    Actor, Depends(require(Role.CUSTOMS_OFFICER, Role.BORDER_OFFICER, Role.PORT_ADMIN))
]
TripReader = Annotated[
    Actor,
    Depends(
        require(
            Role.CUSTOMS_OFFICER,
            Role.BORDER_OFFICER,
            Role.PORT_ADMIN,
            Role.AUDITOR,
            Role.DECLARANT,
        )
    ),
]
AlertReader = Annotated[
    Actor,
    Depends(require(Role.CUSTOMS_OFFICER, Role.BORDER_OFFICER, Role.PORT_ADMIN, Role.AUDITOR)),
]
AlertHandler = Annotated[Actor, Depends(require(Role.CUSTOMS_OFFICER, Role.BORDER_OFFICER))]
BorderVerifier = Annotated[Actor, Depends(require(Role.BORDER_OFFICER, Role.CUSTOMS_OFFICER))]
BorderOfficer = Annotated[Actor, Depends(require(Role.BORDER_OFFICER))]


class SealBody(BaseModel):
    seal_id: str = Field(max_length=40)
    vendor: str = Field(max_length=40)
    protocol: str = Field(description="json-mqtt | jt808")
    secret: str = Field(max_length=200, description="the device key; never returned")
    terminal_id: str | None = Field(default=None, max_length=20)


class TripBody(BaseModel):
    seal_id: str = Field(max_length=40)
    declaration_id: str = Field(max_length=32)
    route_id: str = Field(max_length=64)


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class GateBody(BaseModel):
    """What the officer read at the gate; what is left out is taken from the trip record."""

    plate: str | None = Field(default=None, max_length=20)
    containers: list[str] = Field(default_factory=list, max_length=20)
    seal_id: str | None = Field(default=None, max_length=40)
    qr_trip_id: str | None = Field(default=None, max_length=32)

    def reading(self) -> GateReading:
        return GateReading(self.plate, tuple(self.containers), self.seal_id, self.qr_trip_id)


class ReleaseBody(GateBody):
    note: str | None = Field(default=None, max_length=1000)


class ReferBody(GateBody):
    reason: str = Field(min_length=1, max_length=1000)


def _not_found(trip_id: str) -> NotFound:
    return NotFound(f"trip {trip_id} not found", f"未找到运输 {trip_id}")


# --- seals -----------------------------------------------------------------------------------


@router.post("/seals", status_code=201)
def register_seal(body: SealBody, services: ServicesDep, actor: SealKeeper) -> dict[str, Any]:
    """Add an e-lock to the pool; its secret authenticates its telemetry and is never shown."""
    cmd = RegisterSeal(
        actor, body.seal_id, body.vendor, body.protocol, body.secret, body.terminal_id
    )
    seal = services.bus.handle(cmd).result
    return {
        "seal_id": seal.seal_id,
        "vendor": seal.vendor,
        "protocol": seal.protocol.value,
        "terminal_id": seal.terminal_id,
        "state": seal.state.value,
        "battery_pct": seal.battery_pct,
    }


@router.get("/seals")
def seals(services: ServicesDep, actor: SealReader) -> dict[str, Any]:
    return {"items": list_seals(services.read_engine)}


# --- trips -----------------------------------------------------------------------------------


def _trip(services: ServicesDep, actor: Actor, trip_id: str) -> dict[str, Any]:
    calendars = services.bus.context.calendars_in()
    view = trip_view(services.read_engine, trip_id, calendars=calendars)
    if view is None or not actor.may_see_declaration(
        view["enterprise_uscc"], view["declaring_agent_uscc"]
    ):
        raise _not_found(trip_id)
    return view


@router.post("/trips", status_code=201)
def arm_seal(body: TripBody, services: ServicesDep, actor: Officer) -> dict[str, Any]:
    """Seal a released declaration's containers: the trip, with its arrival window."""
    trip = services.bus.handle(ArmSeal(actor, body.seal_id, body.declaration_id, body.route_id))
    return _trip(services, actor, trip.result.id)


class UnsealBody(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/trips/{trip_id}/unseal")
def unseal_in_yard(
    trip_id: str, body: UnsealBody, services: ServicesDep, actor: Officer
) -> dict[str, Any]:
    """Take the e-lock off a truck still inside the yard (goods refused after sealing, or a
    faulty lock): the trip ends as unsealed and the lock is disarmed; 409 once it has left."""
    services.bus.handle(RemoveSeal(actor, trip_id, body.reason))
    return _trip(services, actor, trip_id)


@router.get("/trips/{trip_id}")
def read_trip(trip_id: str, services: ServicesDep, actor: TripReader) -> dict[str, Any]:
    return _trip(services, actor, trip_id)


@router.get("/trips")
def trips(
    services: ServicesDep,
    actor: TripReader,
    state: str | None = None,
    active: bool | None = None,
    exit_port: str | None = None,
    order: str | None = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    """Declarants see their own enterprise's trips only (and those of declarations it lodged
    as customs broker), whatever filter they send; a misspelt `state`, `exit_port` or `order`
    is refused (422). `order=border`: as a border port's officers meet the trucks, those at
    the border first (`newest`, the default: the last armed first)."""
    wanted = status_filter(state, (s.value for s in TripState), field="state")
    port = exit_port_filter(exit_port, services.bus.context.calendars_in)
    sort = status_filter(order, TRIP_ORDERS, field="order", name_zh="排序") or "newest"
    # a declarant without an enterprise sees none: None would be no filter at all
    uscc = (actor.enterprise_uscc or "") if actor.is_declarant else None
    f = TripFilter(wanted, active, uscc, port)
    total, rows = list_trips(services.read_engine, f, page=page, page_size=page_size, order=sort)
    return {"total": total, "page": page, "page_size": page_size, "items": rows}


# --- certificates ----------------------------------------------------------------------------


def _certificate(services: ServicesDep, actor: Actor, trip_id: str) -> dict[str, Any]:
    key = signing_key(environment=services.settings.environment)
    try:
        found = trip_certificate(services.read_engine, trip_id, key)
    except NoCertificate as refused:
        if not actor.may_see_declaration(refused.enterprise, refused.agent):
            raise _not_found(trip_id) from None
        raise refused.refusal from None
    if found is None or not actor.may_see_declaration(found[0], found[1]):
        raise _not_found(trip_id)
    return found[2]


@router.get("/trips/{trip_id}/certificate")
def certificate(trip_id: str, services: ServicesDep, actor: TripReader) -> Response:
    """The signed trip certificate (verify offline: `landport trips verify-certificate`)."""
    document = _certificate(services, actor, trip_id)
    return Response(
        document_json(document),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="trip-{trip_id}.json"'},
    )


@router.get("/trips/{trip_id}/certificate.svg")
def certificate_svg(trip_id: str, services: ServicesDep, actor: TripReader) -> Response:
    document = _certificate(services, actor, trip_id)
    return Response(certificate_qr_svg(document), media_type="image/svg+xml")


@router.get("/trips/{trip_id}/certificate.png")
def certificate_png(trip_id: str, services: ServicesDep, actor: TripReader) -> Response:
    document = _certificate(services, actor, trip_id)
    return Response(certificate_qr_png(document), media_type="image/png")


# --- alerts ----------------------------------------------------------------------------------


@router.get("/alerts")
def alerts(
    services: ServicesDep,
    actor: AlertReader,
    state: Literal["open", "acknowledged", "resolved", "closed"] | None = None,
    trip_id: str | None = None,
    kind: str | None = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    total, rows = list_alerts(
        services.read_engine,
        state=state,
        trip_id=trip_id,
        kind=kind,
        page=page,
        page_size=page_size,
    )
    return {"total": total, "page": page, "page_size": page_size, "items": rows}


def _handle_alert(action: str) -> Any:
    def endpoint(
        alert_id: KeyPath, body: ReasonBody, services: ServicesDep, actor: AlertHandler
    ) -> dict[str, Any]:
        result = services.bus.handle(HandleTripAlert(actor, alert_id, action, body.reason))
        return alert_view(result.result)

    endpoint.__name__ = f"{action}_alert"
    endpoint.__doc__ = f"{action.capitalize()} an alert, with a reason (kept in the audit log)."
    return endpoint


for _action in ("acknowledge", "resolve"):
    router.add_api_route(
        f"/alerts/{{alert_id}}/{_action}", _handle_alert(_action), methods=["POST"]
    )


# --- routes ----------------------------------------------------------------------------------

router.include_router(transit_routes.router)  # here, so the routes keep their place


# --- the border ------------------------------------------------------------------------------


@router.get("/border/verify")
def border_verify(
    services: ServicesDep,
    actor: BorderVerifier,
    plate: str | None = None,
    container: Annotated[list[str] | None, Query()] = None,
    seal: str | None = None,
    trip: str | None = None,
    port: Annotated[str | None, Query(description="customs officers only")] = None,
) -> dict[str, Any]:
    """Pass or refer, with every check. A border officer is judged as his own port (token);
    a customs officer as `port`, or as the trip's exit port would be."""
    containers = tuple(container or ())
    if not (plate or containers or seal or trip):
        raise InvalidInput(
            [
                Violation(
                    "plate",
                    "identifier_required",
                    "give plate, container, seal or trip",
                    "须提供车牌、集装箱号、关锁号或运输编号之一",
                )
            ]
        )
    trip_id = find_trip_id(
        services.read_engine,
        plate=plate,
        container=containers[0] if containers else None,
        seal=seal,
        trip=trip,
    )
    if trip_id is None:
        raise NotFound("no trip matches what was read at the gate", "未找到与现场信息相符的运输")
    view = border_check(
        services.read_engine,
        trip_id,
        GateReading(plate, containers, seal, trip),
        officer_port=judged_as(actor, port),
        now=services.clock.now(),
        port_names=services.bus.context.catalog.border_port_names,
    )
    if view is None:
        raise _not_found(trip_id)
    return view


@router.post("/border/trips/{trip_id}/release")
def border_release(
    trip_id: str, services: ServicesDep, actor: BorderOfficer, body: ReleaseBody | None = None
) -> dict[str, Any]:
    """Exit: only on a pass verdict (409 lists every failed check); the seal returns to the pool."""
    body = body or ReleaseBody()
    cmd = ReleaseAtBorder(actor, trip_id, body.reading(), body.note)
    result: dict[str, Any] = services.bus.handle(cmd).result
    return result


@router.post("/border/trips/{trip_id}/refer")
def border_refer(
    trip_id: str, body: ReferBody, services: ServicesDep, actor: BorderOfficer
) -> dict[str, Any]:
    """Send the truck to inspection: the trip ends as referred, the declaration is held."""
    result: dict[str, Any] = services.bus.handle(
        ReferToInspection(actor, trip_id, body.reason, body.reading())
    ).result
    return result


@router.get("/border/public-keys")
def border_public_keys(services: ServicesDep, actor: AnyUser) -> dict[str, Any]:
    """The land port's certificate keys, for border posts to cache and verify offline."""
    keys = public_keys(environment=services.settings.environment)
    return {"keys": [public_key_view(k) for k in keys]}


class SealStateBody(BaseModel):
    state: Literal["available", "maintenance"]
    reason: str = Field(min_length=1, max_length=500)


@router.post("/seals/{seal_id}/state")
def change_seal_state(
    seal_id: str, body: SealStateBody, services: ServicesDep, actor: SealKeeper
) -> dict[str, Any]:
    """Pool management: a lock returned from the border back to the pool, or maintenance."""
    seal = services.bus.handle(ChangeSealState(actor, seal_id, body.state, body.reason)).result
    return {"seal_id": seal.seal_id, "state": seal.state.value}


@router.post("/seals/{seal_id}/terminal-registration/reset")
def reset_terminal_registration(
    seal_id: str, body: ReasonBody, services: ServicesDep, actor: SealKeeper
) -> dict[str, Any]:
    """A JT/T 808 lock may register again (a replaced or reset device lost its auth code): the
    code it was issued stops working, its next registration gets a new one; 409 if it has not
    registered or does not speak JT/T 808."""
    cmd = ResetTerminalRegistration(actor, seal_id, body.reason)
    result: dict[str, Any] = services.bus.handle(cmd).result
    return result
