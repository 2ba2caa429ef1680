"""The inspection yard: gate events, truck visits, holds, parking, container moves.

Commands go through the bus; reads come from `adapters/db/yard_queries`. Declarants pre-advise
and follow their own enterprise's visits only (another's is 404). The gates use the person
role `yard_operator` for now; the licence-plate cameras will use machine keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field

from landport.adapters.db.yard_queries import (
    container_ledger,
    count_visits,
    list_visits,
    visit_view,
)
from landport.adapters.reference_files import YardFiles
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.deps import Declarant, ServicesDep, Staff, require
from landport.entrypoints.web.driver_links import driver_link
from landport.entrypoints.web.machine_auth import Caller, require_machine_or_person
from landport.entrypoints.web.views import Day, IdempotencyKey, claim, status_filter
from landport.shared.errors import Forbidden, NotFound
from landport.yard import commands as yc
from landport.yard.visits import VisitStatus

router = APIRouter(prefix="/api/v1", tags=["yard"])

YardOperator = Annotated[Actor, Depends(require(Role.YARD_OPERATOR))]
HoldKeeper = Annotated[Actor, Depends(require(Role.CUSTOMS_OFFICER, Role.YARD_OPERATOR))]
VisitReader = Annotated[
    Actor,
    Depends(
        require(
            Role.DECLARANT,
            Role.CUSTOMS_OFFICER,
            Role.YARD_OPERATOR,
            Role.BORDER_OFFICER,
            Role.PORT_ADMIN,
            Role.AUDITOR,
        )
    ),
]
PortAdmin = Annotated[Actor, Depends(require(Role.PORT_ADMIN))]
CalendarKeeper = Annotated[Actor, Depends(require(Role.YARD_OPERATOR, Role.PORT_ADMIN))]
LedgerReader = Annotated[
    Actor,
    Depends(require(Role.CUSTOMS_OFFICER, Role.YARD_OPERATOR, Role.PORT_ADMIN, Role.AUDITOR)),
]


class PreAdviceBody(BaseModel):
    declaration_id: str = Field(max_length=32)
    plate: str = Field(min_length=1, max_length=20)
    appointment_id: str | None = Field(default=None, max_length=40)


class PlateBody(BaseModel):
    plate: str = Field(min_length=1, max_length=20)


class GateInBody(PlateBody):
    declaration_id: str | None = Field(
        default=None,
        max_length=32,
        description="the declaration the driver carries: needed only when the plate is "
        "pre-advised on several declarations (422 ambiguous_pre_advice otherwise)",
    )


class MoveBody(BaseModel):
    to: str = Field(description="queued | at_lane | at_bay | decided | sealed")
    reason: str | None = Field(default=None, max_length=1000)


class DepartureBody(BaseModel):
    at: datetime = Field(description="timezone-aware departure time")


class HoldBody(BaseModel):
    kind: str = Field(description="customs | yard")
    reason: str = Field(min_length=1, max_length=1000)


class LiftBody(BaseModel):
    note: str | None = Field(default=None, max_length=1000)


class ContainerMoveBody(BaseModel):
    kind: str = Field(description="load | unload | transship | store")
    location: str | None = Field(default=None, max_length=40)
    visit_id: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=1000)


class ClosureBody(BaseModel):
    port_id: str = Field(max_length=40)
    # within the days the platform keeps (2000-2100): a closure "to 2126" closed the port
    start: Day = Field(alias="from", description="first closed day (Beijing date)")
    end: Day = Field(alias="to", description="last closed day, inclusive")
    reason: str = Field(min_length=1, max_length=500)


def _files(services: ServicesDep) -> YardFiles:
    return services.yard_files


def yard_layout_of(services: ServicesDep) -> Any:
    """The layout in force: the newest database version, else the operator's `yard.json`,
    else the packaged one."""
    return _files(services).layout()


def _visit(services: ServicesDep, actor: Actor, visit_id: str) -> dict[str, Any]:
    view = visit_view(
        services.read_engine,
        visit_id,
        yard_layout_of(services),
        services.bus.context.catalog.places,
    )
    if view is None or not actor.may_see_declaration(
        view.get("enterprise_uscc") or "", view.get("declaring_agent_uscc")
    ):
        raise NotFound(f"truck visit {visit_id} not found", f"未找到车辆作业 {visit_id}")
    view["driver_link"] = driver_link(services, visit_id)  # for the exporter to send on
    return view


def _run(
    services: ServicesDep,
    actor: Actor,
    command: object,
    retry: tuple[str | None, str, Any] | None = None,
) -> dict[str, Any]:
    """The command, then the visit as it stands. `retry`: the request's Idempotency-Key,
    scope and body: a gate or a console that lost the answer sends the same request again and
    gets the visit as it stands, the command having acted once (a barrier that retried a
    gate-out would otherwise hear "not inside the yard" for a truck it just let out)."""
    key, scope, body = retry or (None, "", None)
    outcome = services.bus.handle(
        command, claim(actor, f"yard:{scope}", key, body, 200, _visit_key)
    )
    if outcome.replayed is not None:
        return _visit(services, actor, str(outcome.replayed["visit_id"]))
    return _visit(services, actor, outcome.result.visit.id)


def _visit_key(result: Any) -> dict[str, Any]:
    return {"visit_id": result.visit.id}


# --- visits ----------------------------------------------------------------------------------


@router.post("/visits", status_code=201)
def pre_advise(
    body: PreAdviceBody, services: ServicesDep, actor: Declarant, key: IdempotencyKey = None
) -> dict[str, Any]:
    """The declarant announces the truck carrying its declaration."""
    cmd = yc.PreAdvise(actor, body.declaration_id, body.plate, body.appointment_id)
    return _run(services, actor, cmd, (key, "pre-advise", body.model_dump()))


@router.get("/visits")
def visits(
    services: ServicesDep,
    actor: VisitReader,
    status: str | None = None,
    current: Annotated[
        bool,
        Query(
            description="what a yard console draws: the trucks inside, the last week's "
            "pre-advised trucks and the last day's exits (`limit` does not apply)"
        ),
    ] = False,
    limit: Annotated[int, Query(ge=1, le=5000, description="the newest this many")] = 1000,
) -> dict[str, Any]:
    """Newest first; `total` counts every visit the filters match, `items` holds the newest
    `limit` (or, with `current`, what a yard console draws). Declarants see their own
    enterprise's visits only, whatever filter they send."""
    # a declarant without an enterprise sees none: None would be no filter at all
    uscc = (actor.enterprise_uscc or "") if actor.is_declarant else None
    wanted = status_filter(status, (s.value for s in VisitStatus))
    items = list_visits(
        services.read_engine,
        yard_layout_of(services),
        status=wanted,
        enterprise_uscc=uscc,
        current_at=services.clock.now() if current else None,
        limit=limit,
    )
    total = count_visits(services.read_engine, status=wanted, enterprise_uscc=uscc)
    for item in items:
        item["driver_link"] = driver_link(services, item["id"])
    return {"total": total, "items": items}


@router.get("/visits/{visit_id}")
def read_visit(visit_id: str, services: ServicesDep, actor: VisitReader) -> dict[str, Any]:
    return _visit(services, actor, visit_id)


@router.post("/visits/{visit_id}/move")
def move(visit_id: str, body: MoveBody, services: ServicesDep, actor: YardOperator) -> Any:
    return _run(services, actor, yc.MoveVisit(actor, visit_id, body.to, body.reason))


@router.post("/visits/{visit_id}/dispatch")
def dispatch(visit_id: str, services: ServicesDep, actor: YardOperator) -> dict[str, Any]:
    """Send the truck to the scan lane (or bay, after a suspicious scan) with the shortest
    expected wait; green and blue trucks go straight to the decision."""
    sent: dict[str, Any] = services.bus.handle(yc.DispatchVisit(actor, visit_id)).result
    return {**_visit(services, actor, visit_id), "dispatch": sent}


@router.post("/visits/{visit_id}/parking")
def parking(visit_id: str, services: ServicesDep, actor: YardOperator) -> dict[str, Any]:
    """Automatic slot by zone rules; the slot, zone and why, for the driver."""
    assigned: dict[str, Any] = services.bus.handle(yc.AssignParking(actor, visit_id)).result
    return assigned


@router.post("/visits/{visit_id}/departure")
def departure(
    visit_id: str, body: DepartureBody, services: ServicesDep, actor: YardOperator
) -> dict[str, Any]:
    return _run(services, actor, yc.ScheduleDeparture(actor, visit_id, body.at))


@router.post("/visits/{visit_id}/holds", status_code=201)
def place_hold(
    visit_id: str,
    body: HoldBody,
    services: ServicesDep,
    actor: HoldKeeper,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Customs officers place customs holds, yard operators yard holds (with an
    Idempotency-Key, a retried request places one hold, not two)."""
    cmd = yc.PlaceHold(actor, visit_id, body.kind, body.reason)
    return _run(services, actor, cmd, (key, f"hold:{visit_id}", body.model_dump()))


@router.post("/visits/{visit_id}/holds/{hold_id}/lift")
def lift_hold(
    visit_id: str, hold_id: str, body: LiftBody, services: ServicesDep, actor: HoldKeeper
) -> dict[str, Any]:
    return _run(services, actor, yc.LiftHold(actor, visit_id, hold_id, body.note))


@router.post("/visits/{visit_id}/fees-paid")
def fees_paid(visit_id: str, services: ServicesDep, actor: YardOperator) -> dict[str, Any]:
    return _run(services, actor, yc.MarkFeesPaid(actor, visit_id))


# --- gates -----------------------------------------------------------------------------------


GateClient = Annotated[Caller, Depends(require_machine_or_person(Role.YARD_OPERATOR))]


def _at_gate(services: ServicesDep, caller: Caller, direction: str) -> Actor:
    """A device key bound to a gate may only report that gate's direction."""
    resource = caller.resource_id
    if caller.machine is not None and resource is not None:
        gate = next((g for g in yard_layout_of(services).gates if g.id == resource), None)
        if gate is None or gate.direction != direction:
            raise Forbidden(
                f"the key of '{resource}' may not report a gate-{direction} event",
                f"设备「{resource}」无权上报{'入' if direction == 'in' else '出'}闸事件",
            )
    return caller.actor


@router.post("/gate/in")
def gate_in(
    body: GateInBody, services: ServicesDep, caller: GateClient, key: IdempotencyKey = None
) -> dict[str, Any]:
    """The entry gate read a plate (a plate-reader's API key, or an operator): refused
    (422, with the reason) if unknown or already inside, or if several declarations
    pre-advised it and none is named."""
    actor = _at_gate(services, caller, "in")
    # "" names no declaration (a reader's empty field); the key's digest keeps the body as sent
    command = yc.GateIn(actor, body.plate, body.declaration_id or None)
    return _run(services, actor, command, (key, "gate-in", body.model_dump()))


@router.post("/gate/out")
def gate_out(
    body: PlateBody, services: ServicesDep, caller: GateClient, key: IdempotencyKey = None
) -> dict[str, Any]:
    """The exit gate opens only when nothing blocks; else 409 with every blocker. With an
    Idempotency-Key, a retry after a lost answer gets the truck's visit again (200)."""
    actor = _at_gate(services, caller, "out")
    return _run(services, actor, yc.GateOut(actor, body.plate), (key, "gate-out", body.plate))


# --- departures, border calendars, layout ---------------------------------------------------


@router.post("/yard/departures/plan")
def plan_departures(services: ServicesDep, actor: YardOperator) -> dict[str, Any]:
    """Plan every parked, sealed truck against the border calendars and capacities."""
    planned: dict[str, Any] = services.bus.handle(yc.PlanDepartures(actor)).result
    return planned


@router.post("/yard/port-closures", status_code=201)
def add_closure(body: ClosureBody, services: ServicesDep, actor: CalendarKeeper) -> dict[str, Any]:
    """A border port closes: kept in the database (the calendars of every process include it
    from its next command); trucks due there are re-planned and listed under `replanned`."""
    cmd = yc.AddPortClosure(actor, body.port_id, body.start, body.end, body.reason)
    added: dict[str, Any] = services.bus.handle(cmd).result
    return added


@router.get("/yard/port-closures")
def closures(services: ServicesDep, actor: Staff) -> dict[str, Any]:
    items = [
        {
            "port_id": c.port_id,
            "from": c.closure.start.isoformat(),
            "to": c.closure.end.isoformat(),
            "reason": c.closure.reason,
        }
        for c in _files(services).closures()
    ]
    return {"total": len(items), "items": items}


@router.get("/yard/layout")
def layout(services: ServicesDep, actor: Staff) -> dict[str, Any]:
    """The yard layout document in force, where it comes from (`database`, `operator`,
    `packaged`) and, from the database, its version (number, who, when, why)."""
    return _files(services).layout_in_force()


@router.get("/yard/layout/versions")
def layout_versions(services: ServicesDep, actor: Staff) -> dict[str, Any]:
    """Every layout kept through the API, newest (in force) first."""
    items = _files(services).layout_history()
    return {"total": len(items), "items": items}


@router.put("/yard/layout")
def replace_layout(
    services: ServicesDep,
    actor: PortAdmin,
    document: Annotated[dict[str, Any], Body()],
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """Replace the layout: validated (every problem named by field), kept as a new version
    in the database with who, when and why (`?reason=`), audited; every process uses it from
    its next command."""
    services.bus.handle(yc.ChangeYardLayout(actor, document, reason))
    return _files(services).layout_in_force()


# --- containers ------------------------------------------------------------------------------


@router.post("/containers/{number}/moves", status_code=201)
def record_move(
    number: str, body: ContainerMoveBody, services: ServicesDep, actor: YardOperator
) -> dict[str, Any]:
    cmd = yc.RecordContainerMove(actor, number, body.kind, body.location, body.visit_id, body.note)
    services.bus.handle(cmd)
    moves = container_ledger(services.read_engine, number)
    return moves[-1] if moves else {}


@router.get("/containers/{number}/moves")
def moves(number: str, services: ServicesDep, actor: LedgerReader) -> dict[str, Any]:
    """The container's ledger, oldest first."""
    return {"container_number": number, "items": container_ledger(services.read_engine, number)}
