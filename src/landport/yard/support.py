"""Helpers every yard handler shares: find a visit, its declaration and trip, audit a change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from landport.declarations.model import CustomsDeclaration
from landport.declarations.ports import ClearanceContext
from landport.enterprises.model import Actor
from landport.seals.departure_window import rebase_window
from landport.seals.model import TransitTrip
from landport.seals.ports import CustodyUnitOfWork
from landport.shared.errors import InvalidInput, NotFound, Violation
from landport.yard.events import VisitChanged
from landport.yard.ports import VisitStore, YardVisit


def invalid(field: str, code: str, en: str, zh: str) -> InvalidInput:
    return InvalidInput([Violation(field, code, en, zh)])


def find_visit(store: VisitStore, visit_id: str) -> YardVisit:
    found = store.get(visit_id)
    if found is None:
        raise NotFound(f"truck visit {visit_id} not found", f"未找到车辆作业 {visit_id}")
    return found


def declaration_of(uow: CustodyUnitOfWork, yv: YardVisit) -> CustomsDeclaration | None:
    did = yv.visit.declaration_id
    return None if did is None else uow.declarations.get(did)


def active_trip(
    uow: CustodyUnitOfWork, yv: YardVisit, *, for_update: bool = False
) -> TransitTrip | None:
    """The active (armed) trip of the visit's declaration, if any (`for_update`: locked
    until commit)."""
    did = yv.visit.declaration_id
    return None if did is None else uow.trips.active_for_declaration(did, for_update=for_update)


def trip_of(uow: CustodyUnitOfWork, yv: YardVisit) -> str | None:
    trip = active_trip(uow, yv)
    return None if trip is None else str(trip.id)


def depart_trip(
    uow: CustodyUnitOfWork,
    ctx: ClearanceContext,
    yv: YardVisit,
    departure: datetime,
    actor: Actor,
    reason: str,
) -> None:
    """The sealed trip's arrival window counts from this departure (planned or real)."""
    trip = active_trip(uow, yv)
    if trip is not None:
        rebase_window(uow, ctx, trip, departure, actor=actor.username, reason=reason)


def snapshot(yv: YardVisit) -> dict[str, Any]:
    """What the audit log keeps of a visit before and after a change."""
    v = yv.visit
    return {
        "status": v.status.value,
        "plate": v.plate,
        "declaration_id": v.declaration_id,
        "lane_id": v.lane_id,
        "slot_id": yv.slot_id,
        "departure_at": yv.departure_at.isoformat() if yv.departure_at else None,
        "fees_paid": yv.fees_paid,
        "active_holds": [h.id for h in v.active_holds],
    }


def audit_visit(
    uow: CustodyUnitOfWork,
    actor: Actor,
    action: str,
    yv: YardVisit,
    before: dict[str, Any] | None,
    detail: str = "",
) -> None:
    uow.audit.append(
        actor=actor.username,
        action=action,
        entity_type="truck_visit",
        entity_id=yv.visit.id,
        before=before,
        after=snapshot(yv),
        detail=detail,
    )
    v = yv.visit  # every audited change of a visit is also told after the commit
    uow.events.append(VisitChanged(v.id, v.declaration_id, v.status.value, v.updated_at))


def next_hold_id(yv: YardVisit) -> str:
    """Hold ids number the visit's holds in order, so reasons list in the order placed."""
    return f"{yv.visit.id[:24]}-h{len(yv.visit.holds) + 1:03d}"
