"""Read side of the yard: one truck visit with its steps, holds and slot; lists; the ledger.

Straight from the tables (like `custody_queries.py`), never through the aggregates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from landport.adapters.db import tables as t
from landport.adapters.db.appointment_tables import appointments
from landport.adapters.db.planner import not_indexed
from landport.adapters.db.views import iso_value, plain_row
from landport.adapters.db.yard_tables import (
    container_moves,
    truck_visits,
    visit_holds,
    visit_steps,
)
from landport.reference.catalog import Place
from landport.seals.calendar import BEIJING
from landport.yard.dispatch import STATION_ZH, StationKind
from landport.yard.model import YardLayout, display_name
from landport.yard.visits import (
    EXIT_CURRENT,
    HOLD_ZH,
    IN_YARD,
    PRE_ADVICE_CURRENT,
    STATUS_ZH,
    HoldKind,
    VisitStatus,
)

_VISITS = select(
    truck_visits,
    t.declarations.c.enterprise_uscc,
    t.declarations.c.declaring_agent_uscc,
    t.declarations.c.number,
).join_from(
    truck_visits,
    t.declarations,
    truck_visits.c.declaration_id == t.declarations.c.id,
    isouter=True,
)


def _summary(r: Mapping[Any, Any], layout: YardLayout) -> dict[str, Any]:
    view = plain_row({k: v for k, v in r.items() if k not in ("number", "version")})
    view["declaration_number"] = r["number"]
    view["status_zh"] = STATUS_ZH[VisitStatus(r["status"])]
    departure = r["departure_at"]
    view["departure_at_beijing"] = (
        departure.astimezone(BEIJING).isoformat() if departure is not None else None
    )
    slot = layout.slot(r["slot_id"]) if r["slot_id"] else None
    zone = layout.zone(slot.zone_id) if slot is not None else None
    view["station"] = _station(r["lane_id"], layout)
    view["slot"] = (
        None
        if slot is None
        else {
            "slot_id": slot.id,
            "zone_id": slot.zone_id,
            "zone_kind": zone.kind.value if zone else None,
            "exit_distance_m": slot.exit_distance_m,
        }
    )
    return view


def _station(lane_id: str | None, layout: YardLayout) -> dict[str, Any] | None:
    if lane_id is None:
        return None
    found = layout.station(lane_id)
    kind = "bay" if any(b.id == lane_id for b in layout.exam_bays) else "scan_lane"
    named = found if found is not None and (found.name_en or found.name_zh) else None
    return {
        "station_id": lane_id,
        "kind": kind,
        "kind_zh": STATION_ZH[StationKind(kind)],
        # what the sign says; None for a station the layout does not name
        "name_en": display_name(named, "en") if named else None,
        "name_zh": display_name(named, "zh-CN") if named else None,
    }


def _plan(step: Mapping[str, Any]) -> dict[str, Any] | None:
    reason = step["reason"]
    if not isinstance(reason, str) or not reason.startswith("{"):
        return None
    plan: dict[str, Any] = json.loads(reason)
    return plan


def _departure(
    steps: Sequence[Mapping[str, Any]], departure: datetime | None, places: Mapping[str, Place]
) -> dict[str, Any] | None:
    """When the driver leaves, in both languages, and the plan's reasons (if planned)."""
    if departure is None:
        return None
    last = next((s for s in reversed(steps) if s["status"] == "departure_scheduled"), None)
    plan = _plan(last) if last is not None else None
    local = departure.astimezone(BEIJING)
    view: dict[str, Any] = {
        "at_utc": departure.isoformat(),
        "at_beijing": local.isoformat(),
        "planned": plan is not None,
        "driver_en": f"Leave the yard at {local:%H:%M} Beijing time on {local:%Y-%m-%d}",
        "driver_zh": f"请于北京时间 {local:%Y-%m-%d %H:%M} 离场发车",
    }
    if plan is not None:
        arrival = datetime.fromisoformat(plan["expected_arrival"]).astimezone(BEIJING)
        place = places.get(plan["port"])
        port_en = place.short_name_en if place else plan["port"]
        port_zh = place.short_name_zh if place else f" {plan['port']}"  # an id is spaced off
        view.update(plan)
        view["expected_arrival_beijing"] = arrival.isoformat()
        view["driver_en"] += f"; expected at {port_en} {arrival:%Y-%m-%d %H:%M} Beijing time"
        view["driver_zh"] += f"，预计北京时间 {arrival:%Y-%m-%d %H:%M} 到达{port_zh}"
    return view


def visit_view(
    engine: Engine,
    visit_id: str,
    layout: YardLayout,
    places: Mapping[str, Place] | None = None,
) -> dict[str, Any] | None:
    """One visit with its steps (oldest first), holds and slot; None when unknown. `places`
    names the exit port in the departure's words (else its id)."""
    with engine.connect() as conn:
        r = conn.execute(_VISITS.where(truck_visits.c.id == visit_id)).mappings().one_or_none()
        if r is None:
            return None
        steps = conn.execute(
            select(
                visit_steps.c.status, visit_steps.c.at, visit_steps.c.actor, visit_steps.c.reason
            )
            .where(visit_steps.c.visit_id == visit_id)
            .order_by(visit_steps.c.id)
        ).mappings()
        step_rows = [dict(s) for s in steps]
        step_views = []
        for s in step_rows:
            plan = _plan(s)
            reason_zh = plan.get("reason_zh") if plan else None
            step_views.append(
                plain_row(
                    {
                        **s,
                        "reason": plan["reason_en"] if plan else s["reason"],
                        "reason_zh": reason_zh,
                    }
                )
            )
        holds = conn.execute(
            select(visit_holds)
            .where(visit_holds.c.visit_id == visit_id)
            .order_by(visit_holds.c.placed_at, visit_holds.c.id)
        ).mappings()
        hold_views = [
            {
                **plain_row({k: v for k, v in h.items() if k != "visit_id"}),
                "active": h["lifted_at"] is None,
            }
            for h in holds
        ]
    view = _summary(r, layout)
    view.update(
        steps=step_views,
        holds=hold_views,
        departure=_departure(step_rows, r["departure_at"], places or {}),
    )
    return view


#: A hold's reason in a list is cut to this many characters; the visit itself has it whole.
SHORT_REASON = 80


def _short(text: str) -> str:
    return text if len(text) <= SHORT_REASON else text[: SHORT_REASON - 1].rstrip() + "…"


def _hold_reason(h: Mapping[Any, Any]) -> dict[str, Any]:
    kind = HoldKind(h["hold_kind"])
    reason = _short(h["hold_reason"])
    return {
        "hold_id": h["hold_id"],
        "kind": kind.value,
        "reason": reason,
        "placed_at": iso_value(h["hold_placed_at"]),
        "placed_by": h["hold_placed_by"],
        "en": f"{kind.value} hold: {reason}",
        "zh": f"{HOLD_ZH[kind]}：{reason}",
    }


_ACTIVE_HOLD = (
    visit_holds.c.id.label("hold_id"),
    visit_holds.c.kind.label("hold_kind"),
    visit_holds.c.reason.label("hold_reason"),
    visit_holds.c.placed_at.label("hold_placed_at"),
    visit_holds.c.placed_by.label("hold_placed_by"),
)


def _visit_ids(status: str | None, enterprise_uscc: str | None) -> Any:
    query = select(truck_visits.c.id)
    if enterprise_uscc is not None:
        query = query.join(t.declarations, truck_visits.c.declaration_id == t.declarations.c.id)
        # the consignor's visits, and those of declarations its broker lodged for a client
        query = query.where(t.visible_to(enterprise_uscc))
    if status is not None:
        query = query.where(truck_visits.c.status == status)
    return query


def count_visits(
    engine: Engine, *, status: str | None = None, enterprise_uscc: str | None = None
) -> int:
    """How many visits a listing with these filters has in all (it may show fewer)."""
    query = select(func.count()).select_from(_visit_ids(status, enterprise_uscc).subquery())
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _current_ids(conn: Any, chosen: Any, now: datetime) -> set[str]:
    """Each part through an index bounded by the yard or the day, never by the history
    (the week's pre-advice by creation time, not every pre-advice ever made)."""
    inside = chosen.where(truck_visits.c.status.in_(sorted(IN_YARD)))
    expected = chosen.where(
        not_indexed(truck_visits.c.status) == VisitStatus.PRE_ADVISED.value,
        truck_visits.c.created_at >= now - PRE_ADVICE_CURRENT,
    )
    left = chosen.where(
        truck_visits.c.id.in_(
            select(visit_steps.c.visit_id).where(
                visit_steps.c.status.in_([VisitStatus.GATED_OUT.value, VisitStatus.SHUT_OUT.value]),
                visit_steps.c.at >= now - EXIT_CURRENT,
            )
        )
    )
    return {str(i) for q in (inside, expected, left) for i in conn.execute(q).scalars()}


def list_visits(
    engine: Engine,
    layout: YardLayout,
    *,
    status: str | None = None,
    enterprise_uscc: str | None = None,
    current_at: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Visits, newest first, each with its active holds (`active_holds`, `hold_reasons`:
    short, in both languages); declarants pass their enterprise and see only its visits (as
    consignor, or as the customs broker that lodged the declaration).
    `limit` keeps the newest; `current_at` gives what a yard console draws at that time
    (`IN_YARD`, the week's pre-advice, the day's exits), however long the port's history.

    The visits are chosen by key first, then read in one query with their active holds
    joined in (a visit with two holds comes as two rows), so a console needs no read per
    visit."""
    chosen = _visit_ids(status, enterprise_uscc)
    newest = chosen.order_by(truck_visits.c.created_at.desc(), truck_visits.c.id)
    with engine.connect() as conn:
        ids: set[str] | None = None
        if current_at is not None:
            ids = _current_ids(conn, chosen, current_at)
        elif limit is not None:
            ids = {str(i) for i in conn.execute(newest.limit(limit)).scalars()}
        query = _VISITS.add_columns(*_ACTIVE_HOLD).join(
            visit_holds,
            (visit_holds.c.visit_id == truck_visits.c.id) & visit_holds.c.lifted_at.is_(None),
            isouter=True,
        )
        if ids is None:
            query = query.where(truck_visits.c.id.in_(chosen))
        else:
            query = query.where(truck_visits.c.id.in_(sorted(ids)))
        query = query.order_by(
            truck_visits.c.created_at.desc(),
            truck_visits.c.id,
            visit_holds.c.placed_at,
            visit_holds.c.id,
        )
        hold_keys = {c.name for c in _ACTIVE_HOLD}
        views: dict[str, dict[str, Any]] = {}
        for r in conn.execute(query).mappings():
            view = views.get(r["id"])
            if view is None:
                visit = {k: v for k, v in r.items() if k not in hold_keys}
                view = views[r["id"]] = {**_summary(visit, layout), "hold_reasons": []}
            if r["hold_id"] is not None:
                view["hold_reasons"].append(_hold_reason(r))
    for view in views.values():
        view["active_holds"] = len(view["hold_reasons"])
    return list(views.values())


def container_ledger(engine: Engine, number: str) -> list[dict[str, Any]]:
    """A container's moves in the order they were recorded."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(container_moves)
            .where(container_moves.c.container_number == number)
            .order_by(container_moves.c.id)
        ).mappings()
        return [plain_row(r) for r in rows]


def driver_journey(engine: Engine, declaration_id: str | None) -> dict[str, Any]:
    """What the driver's next step depends on beyond the yard: the booked hour of the
    declaration's active appointment (`appointment`: `slot_start`, `resource_id`, `status`)
    and its latest e-lock trip (`trip`: `state`, `exit_port`, `route_id`, `route_version`);
    None for what it lacks."""
    found: dict[str, Any] = {"appointment": None, "trip": None}
    if declaration_id is None:
        return found
    booked = appointments.c
    trips = t.trips.c
    with engine.connect() as conn:
        found["appointment"] = _one_or_none(
            conn.execute(
                select(booked.slot_start, booked.resource_id, booked.status).where(
                    booked.active_declaration_id == declaration_id
                )
            )
        )
        found["trip"] = _one_or_none(
            conn.execute(
                select(trips.state, trips.exit_port, trips.route_id, trips.route_version)
                .where(trips.declaration_id == declaration_id)
                .order_by(trips.armed_at.desc())
                .limit(1)
            )
        )
    return found


def _one_or_none(result: Any) -> dict[str, Any] | None:
    row = result.mappings().one_or_none()
    return dict(row) if row is not None else None
