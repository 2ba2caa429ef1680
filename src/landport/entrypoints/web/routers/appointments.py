"""Truck appointments: book an hour of a lane, bay or gate; reschedule, cancel, standby,
walk-ins at the gate, the no-show sweep, free places and the published fairness rule.

Commands go through the bus; reads come from `adapters/db/appointment_queries`. Declarants
book for their own enterprise's declarations and for those their enterprise lodged as
customs broker (while its client's authorisation covers the day), and see only those
appointments (another's is 404) and their own enterprise's standing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from landport.adapters.db.appointment_queries import (
    appointment_view,
    capacity,
    list_appointments,
    standings,
)
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.deps import AnyUser, ServicesDep, require
from landport.entrypoints.web.routers.yard import yard_layout_of
from landport.entrypoints.web.views import Day, status_filter
from landport.shared.clock import FIRST_DAY, LAST_DAY
from landport.shared.errors import NotFound
from landport.yard import appointment_commands as ac
from landport.yard.appointment_model import (
    AppointmentPolicy,
    AppointmentStatus,
    resources_from_layout,
)
from landport.yard.appointment_rules import fairness_rule, peak_quota
from landport.yard.model import YardLayout

router = APIRouter(prefix="/api/v1", tags=["appointments"])

Booker = Annotated[Actor, Depends(require(Role.DECLARANT, Role.PORT_ADMIN))]
GateClerk = Annotated[Actor, Depends(require(Role.YARD_OPERATOR, Role.PORT_ADMIN))]
Reader = Annotated[
    Actor,
    Depends(
        require(
            Role.DECLARANT, Role.YARD_OPERATOR, Role.CUSTOMS_OFFICER, Role.PORT_ADMIN, Role.AUDITOR
        )
    ),
]
POLICY = AppointmentPolicy()


class BookingBody(BaseModel):
    declaration_id: str = Field(max_length=32)
    resource_id: str = Field(max_length=40, description="a scan lane, exam bay or entry gate")
    slot_start: datetime | Literal["earliest"] = Field(
        description="timezone-aware start of the hour, or 'earliest' for the first free hour"
    )
    join_standby: bool = Field(
        default=False, description="when the hour is full, wait on its standby list"
    )


class RescheduleBody(BaseModel):
    slot_start: datetime = Field(description="timezone-aware start of the new hour")


class WalkInBody(BaseModel):
    declaration_id: str = Field(max_length=32)
    resource_id: str = Field(max_length=40)
    standby_when_full: bool = Field(
        default=True, description="a full hour puts the truck on standby (else refused)"
    )


def _visible(services: ServicesDep, actor: Actor, appointment_id: str) -> dict[str, Any]:
    view = appointment_view(services.read_engine, appointment_id)
    if view is None or not actor.may_see_declaration(
        view["forwarder"], view["declaring_agent_uscc"]
    ):
        raise NotFound(f"appointment {appointment_id} not found", f"未找到预约 {appointment_id}")
    return view


def _run(services: ServicesDep, actor: Actor, command: object) -> dict[str, Any]:
    made = services.bus.handle(command).result
    return _visible(services, actor, made.id)


@router.post("/appointments", status_code=201)
def book(body: BookingBody, services: ServicesDep, actor: Booker) -> dict[str, Any]:
    """Book an hour for the declaration's truck: `booked`, or `standby` with
    `join_standby`; a full hour without it is 409 `slot_full`."""
    slot = None if body.slot_start == "earliest" else body.slot_start
    assert not isinstance(slot, str)
    cmd = ac.BookAppointment(
        actor, body.declaration_id, body.resource_id, slot, join_standby=body.join_standby
    )
    return _run(services, actor, cmd)


@router.get("/appointments")
def appointments(
    services: ServicesDep,
    actor: Reader,
    on: Annotated[
        Day | None,
        Query(alias="date", description=f"Beijing date, {FIRST_DAY} to {LAST_DAY}"),
    ] = None,
    resource_id: str | None = None,
    status: str | None = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=5000,
            description="the latest this many appointments by slot, shown in slot order",
        ),
    ] = 500,
) -> dict[str, Any]:
    """Declarants see their own enterprise's appointments only (and those of declarations
    it lodged as customs broker), whatever filter they send; `total` counts every
    appointment matching the filters, `items` holds at most `limit`, each with its
    resource's sign (`name_en`, `name_zh`)."""
    filters: dict[str, Any] = {
        # a declarant without an enterprise sees none: None would be no filter at all
        "visible_to": (actor.enterprise_uscc or "") if actor.is_declarant else None,
        "day": on,
        "resource_id": resource_id or None,
        "status": status_filter(status, (s.value for s in AppointmentStatus)),
    }
    found = list_appointments(services.read_engine, limit=limit, **filters)
    layout = yard_layout_of(services)
    return {**found, "items": [_signed(layout, a) for a in found["items"]]}


@router.get("/appointments/rules")
def rules(services: ServicesDep, actor: AnyUser) -> dict[str, Any]:
    """The published booking rules, in English and Chinese, with the bookable resources of
    the layout in force."""
    del actor
    rule = fairness_rule(POLICY)
    resources = resources_from_layout(yard_layout_of(services))
    return {
        "fairness": {
            "code": rule.code,
            "text_en": rule.text_en,
            "text_zh": rule.text_zh,
            "parameters": rule.parameters,
        },
        "resources": [
            {
                "resource_id": r.id,
                "kind": r.kind,
                "capacity_per_hour": r.capacity_per_hour,
                "open_hours": [f"{h:02d}:00" for h in r.open_hours],
                "peak_hours": [f"{h:02d}:00" for h in sorted(r.peak_hours)],
                "peak_quota_per_forwarder": peak_quota(r, POLICY),
            }
            for r in sorted(resources.values(), key=lambda r: (r.kind, r.id))
        ],
    }


@router.get("/appointments/standing")
def standing(services: ServicesDep, actor: Reader, forwarder: str | None = None) -> dict[str, Any]:
    """A forwarder's no-shows and kept slots under the fairness rule; declarants get their
    own enterprise's, officials any forwarder's (or all with a record)."""
    who = (actor.enterprise_uscc or "") if actor.is_declarant else forwarder
    items = standings(services.read_engine, POLICY, services.clock.now(), forwarder=who)
    return {"rule": fairness_rule(POLICY).code, "items": items}


@router.get("/appointments/capacity")
def free_places(
    services: ServicesDep,
    actor: Reader,
    on: Annotated[
        Day, Query(alias="date", description=f"Beijing date, YYYY-MM-DD, {FIRST_DAY} to {LAST_DAY}")
    ],
) -> dict[str, Any]:
    """Free places per resource and hour of a day, for the booking screen; each resource
    with its sign's names (`name_en`, `name_zh`: the id when it has none)."""
    del actor
    layout = yard_layout_of(services)
    items = capacity(services.read_engine, resources_from_layout(layout), on, POLICY)
    return {"date": on.isoformat(), "resources": [_signed(layout, r) for r in items]}


def _signed(layout: YardLayout, item: dict[str, Any]) -> dict[str, Any]:
    """`item` with the names on the sign of its `resource_id` (the id where there is none)."""
    name_en, name_zh = layout.sign(item["resource_id"])
    return {**item, "name_en": name_en, "name_zh": name_zh}


@router.get("/appointments/{appointment_id}")
def read_appointment(appointment_id: str, services: ServicesDep, actor: Reader) -> dict[str, Any]:
    return _visible(services, actor, appointment_id)


@router.post("/appointments/{appointment_id}/reschedule")
def reschedule(
    appointment_id: str, body: RescheduleBody, services: ServicesDep, actor: Booker
) -> dict[str, Any]:
    """Move to another hour of the same resource; a full hour is refused, the old kept."""
    cmd = ac.RescheduleAppointment(actor, appointment_id, body.slot_start)
    return _run(services, actor, cmd)


@router.post("/appointments/{appointment_id}/cancel")
def cancel(appointment_id: str, services: ServicesDep, actor: Booker) -> dict[str, Any]:
    """Cancel before the hour starts; the first standby entry within quota is promoted."""
    return _run(services, actor, ac.CancelAppointment(actor, appointment_id))


@router.post("/appointments/walk-in", status_code=201)
def walk_in(body: WalkInBody, services: ServicesDep, actor: GateClerk) -> dict[str, Any]:
    """A truck without appointment: admitted into the current hour when a place is free,
    else on its standby list with the reason (or refused)."""
    cmd = ac.AdmitWalkIn(actor, body.declaration_id, body.resource_id, body.standby_when_full)
    return _run(services, actor, cmd)


@router.post("/appointments/no-shows/sweep")
def sweep(services: ServicesDep, actor: GateClerk) -> dict[str, Any]:
    """Close the hours past their grace period: arrived (a gate-in of the declaration's
    truck), no-show, or expired standby."""
    result: dict[str, Any] = services.bus.handle(ac.SweepNoShows(actor)).result
    return {key: sorted(ids) for key, ids in result.items()}
