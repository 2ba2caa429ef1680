"""Read side of truck appointments: one appointment, lists, free places, a forwarder's standing.

Straight from the tables (like `yard_queries.py`), never through the book.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, or_, select

from landport.adapters.db import tables as t
from landport.adapters.db.appointment_tables import appointments
from landport.adapters.db.planner import not_indexed
from landport.adapters.db.views import iso_value
from landport.seals.calendar import BEIJING
from landport.yard.appointment_model import (
    OCCUPYING,
    SLOT_LENGTH,
    STATUS_ZH,
    AppointmentPolicy,
    AppointmentStatus,
    Resource,
    Standing,
)
from landport.yard.appointment_rules import is_suspended, peak_quota

A = AppointmentStatus
_VIEW = select(
    appointments,
    t.declarations.c.number.label("declaration_number"),
    t.declarations.c.declaring_agent_uscc,
).join_from(appointments, t.declarations, appointments.c.declaration_id == t.declarations.c.id)


def _view(r: Mapping[Any, Any]) -> dict[str, Any]:
    view = {k: iso_value(v) for k, v in r.items() if k != "active_declaration_id"}
    view["status_zh"] = STATUS_ZH[A(r["status"])]
    view["slot_start_beijing"] = r["slot_start"].astimezone(BEIJING).isoformat()
    view["slot_end"] = (r["slot_start"] + SLOT_LENGTH).isoformat()
    return view


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    first = datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(UTC)
    return first, first + timedelta(days=1)


def appointment_view(engine: Engine, appointment_id: str) -> dict[str, Any] | None:
    """One appointment; a standby entry also says its place in the queue."""
    with engine.connect() as conn:
        r = conn.execute(_VIEW.where(appointments.c.id == appointment_id)).mappings().one_or_none()
        if r is None:
            return None
        view = _view(r)
        view["standby_position"] = None
        if r["status"] == A.STANDBY.value:
            ahead = conn.execute(
                select(func.count()).where(
                    appointments.c.resource_id == r["resource_id"],
                    appointments.c.slot_start == r["slot_start"],
                    appointments.c.status == A.STANDBY.value,
                    appointments.c.sequence < r["sequence"],
                )
            ).scalar_one()
            view["standby_position"] = int(ahead) + 1
    return view


def _filtered(
    query: Any,
    day: date | None,
    resource_id: str | None,
    status: str | None,
    visible_to: str | None = None,
) -> Any:
    if visible_to is not None:
        # the consignor's own, and those of declarations the broker lodged for a client:
        # each side through its own index, never the whole book
        lodged = select(t.declarations.c.id).where(
            t.declarations.c.declaring_agent_uscc == visible_to
        )
        query = query.where(
            or_(appointments.c.forwarder == visible_to, appointments.c.declaration_id.in_(lodged))
        )
    if day is not None:
        first, last = _day_bounds(day)
        query = query.where(appointments.c.slot_start >= first, appointments.c.slot_start < last)
    if resource_id is not None:
        query = query.where(appointments.c.resource_id == resource_id)
    if status is not None:
        # with an enterprise or a resource, their own index: a status's is the whole port's
        # history
        narrower = visible_to is not None or resource_id is not None
        by_status = not_indexed(appointments.c.status) if narrower else appointments.c.status
        query = query.where(by_status == status)
    return query


def list_appointments(
    engine: Engine,
    *,
    day: date | None = None,
    resource_id: str | None = None,
    status: str | None = None,
    limit: int = 500,
    visible_to: str | None = None,
) -> dict[str, Any]:
    """`items`: the latest `limit` appointments by slot (a long-running yard's book holds
    years), shown in slot order; `total`: how many match in all, read in the same
    transaction. Declarants pass their enterprise as `visible_to` and see only the
    appointments of its own declarations and of those it lodged as customs broker."""
    order = (appointments.c.slot_start, appointments.c.resource_id, appointments.c.sequence)
    latest = _filtered(_VIEW, day, resource_id, status, visible_to)
    latest = latest.order_by(*(c.desc() for c in order)).limit(limit)
    count = select(func.count()).select_from(appointments)
    count = _filtered(count, day, resource_id, status, visible_to)
    with engine.connect() as conn, conn.begin():
        items = [_view(r) for r in conn.execute(latest).mappings()]
        total = int(conn.execute(count).scalar_one())
    items.reverse()
    return {"total": total, "items": items}


def capacity(
    engine: Engine, resources: Mapping[str, Resource], day: date, policy: AppointmentPolicy
) -> list[dict[str, Any]]:
    """Free places per resource and open hour of a Beijing day, for the booking screen."""
    first, last = _day_bounds(day)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                appointments.c.resource_id,
                appointments.c.slot_start,
                appointments.c.status,
                func.count(),
            )
            .where(
                appointments.c.slot_start >= first,
                appointments.c.slot_start < last,
                appointments.c.status.in_([s.value for s in OCCUPYING] + [A.STANDBY.value]),
            )
            .group_by(appointments.c.resource_id, appointments.c.slot_start, appointments.c.status)
        ).all()
    taken: dict[tuple[str, datetime], int] = {}
    waiting: dict[tuple[str, datetime], int] = {}
    for resource_id, slot, status, n in rows:
        target = waiting if status == A.STANDBY.value else taken
        key = (str(resource_id), slot)
        target[key] = target.get(key, 0) + int(n)
    result = []
    for resource in sorted(resources.values(), key=lambda r: (r.kind, r.id)):
        hours = []
        for hour in resource.open_hours:
            slot = datetime(day.year, day.month, day.day, hour, tzinfo=resource.tz).astimezone(UTC)
            booked = taken.get((resource.id, slot), 0)
            peak = hour in resource.peak_hours
            hours.append(
                {
                    "hour": f"{hour:02d}:00",
                    "slot_start": slot.isoformat(),
                    "capacity": resource.capacity_per_hour,
                    "booked": booked,
                    "standby": waiting.get((resource.id, slot), 0),
                    "free": max(0, resource.capacity_per_hour - booked),
                    "peak": peak,
                    "quota_per_forwarder": peak_quota(resource, policy) if peak else None,
                }
            )
        result.append({"resource_id": resource.id, "kind": resource.kind, "hours": hours})
    return result


def standings(
    engine: Engine, policy: AppointmentPolicy, now: datetime, *, forwarder: str | None = None
) -> list[dict[str, Any]]:
    """Each forwarder's no-shows and kept slots in the rolling window, and whether the
    published rule suspends its priority booking."""
    since = now - policy.no_show_window
    query = (
        select(appointments.c.forwarder, appointments.c.status, func.count())
        .where(
            appointments.c.slot_start >= since,
            appointments.c.slot_start <= now,
            appointments.c.status.in_([A.NO_SHOW.value, A.ARRIVED.value]),
        )
        .group_by(appointments.c.forwarder, appointments.c.status)
    )
    if forwarder is not None:
        query = query.where(appointments.c.forwarder == forwarder)
    counts: dict[str, Standing] = {}
    with engine.connect() as conn:
        for fwd, status, n in conn.execute(query).all():
            add = Standing(int(n), 0) if status == A.NO_SHOW.value else Standing(0, int(n))
            counts[str(fwd)] = counts.get(str(fwd), Standing()) + add
    if forwarder is not None:
        counts.setdefault(forwarder, Standing())
    return [
        {
            "forwarder": fwd,
            "no_shows": s.no_shows,
            "arrivals": s.arrivals,
            "window_days": policy.no_show_window.days,
            "window_start": since.isoformat(),
            "priority_suspended": is_suspended(s, policy),
            "restricted_horizon_hours": int(policy.restricted_horizon.total_seconds() // 3600),
        }
        for fwd, s in sorted(counts.items())
    ]
