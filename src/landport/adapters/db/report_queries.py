"""Gathers each consignment's milestones from the event tables for the time-release report."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select

from landport.adapters.db import tables as t
from landport.adapters.db import yard_tables as y
from landport.adapters.db.planner import not_indexed
from landport.reports.time_release import STEP_MILESTONE, Consignment
from landport.seals.calendar import BEIJING


def consignments_declared_on(engine: Engine, day: date) -> list[Consignment]:
    """Declarations declared on `day` (Beijing time), with every milestone reached so far.

    Times come back timezone-aware from the UtcDateTime columns (and the monitor's ISO text)."""
    start = datetime.combine(day, time(0), BEIJING).astimezone(UTC)
    end = start + timedelta(days=1)
    e, d = t.declaration_events, t.declarations
    with engine.connect() as conn:
        declared = conn.execute(
            select(e.c.declaration_id, e.c.at, d.c.lane, d.c.exit_port)
            .join(d, d.c.id == e.c.declaration_id)
            .where(e.c.status == "declared", e.c.at >= start, e.c.at < end)
        ).all()
        ids = [r[0] for r in declared]
        if not ids:
            return []
        reached: dict[str, dict[str, datetime]] = {r[0]: {"declared": r[1]} for r in declared}
        for decl, at in conn.execute(
            select(e.c.declaration_id, e.c.at)
            # these declarations' own events, not every release ever made
            .where(e.c.declaration_id.in_(ids), not_indexed(e.c.status) == "released")
            .order_by(e.c.id)
        ):
            reached[decl].setdefault("released", at)
        steps = STEP_MILESTONE
        for decl, status, at in conn.execute(
            select(y.truck_visits.c.declaration_id, y.visit_steps.c.status, y.visit_steps.c.at)
            .join(y.truck_visits, y.truck_visits.c.id == y.visit_steps.c.visit_id)
            .where(  # these visits' own steps, not every such step ever made
                y.truck_visits.c.declaration_id.in_(ids),
                not_indexed(y.visit_steps.c.status).in_(steps),
            )
            .order_by(y.visit_steps.c.id)
        ):
            reached[decl].setdefault(steps[status], at)
        for row in conn.execute(
            select(
                t.trips.c.declaration_id,
                t.trips.c.armed_at,
                t.trips.c.monitor,
                t.trips.c.state,
                t.trips.c.closed_at,
            )
            .where(t.trips.c.declaration_id.in_(ids))
            .order_by(t.trips.c.armed_at)  # a lock replaced in the yard: the first sealing
        ).mappings():
            r = reached[row["declaration_id"]]
            r.setdefault("sealed", row["armed_at"])
            arrival = (row["monitor"] or {}).get("first_arrival")
            if arrival:
                r.setdefault("border_arrival", datetime.fromisoformat(arrival))
            if row["state"] == "exited" and row["closed_at"] is not None:
                r.setdefault("border_release", row["closed_at"])
    lanes: dict[str, Any] = {r[0]: (r[2], r[3]) for r in declared}
    return [Consignment(decl, lanes[decl][0], lanes[decl][1], reached[decl]) for decl in reached]
