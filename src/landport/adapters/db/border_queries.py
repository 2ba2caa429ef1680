"""Read side of the border: find the trip the gate is looking at, load its record, judge it.

Straight from the tables, like `custody_queries.py`; the verdict itself is the pure
`seals.border.border_verdict`, fed by `seals.border_handlers.custody_evidence`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from landport.adapters.db import tables as t
from landport.adapters.db.custody import SqlAlertRepository, route_version, trip_from_row
from landport.adapters.db.custody_queries import stored_monitor
from landport.adapters.db.repositories import SqlDeclarationRepository, SqlInspectionRepository
from landport.adapters.db.views import iso_value
from landport.seals.border import border_verdict
from landport.seals.border_evidence import BorderPolicy
from landport.seals.border_handlers import CustodyRecord, GateReading, custody_evidence
from landport.seals.model import SealState
from landport.shared.identifiers import normalise_identifier


def find_trip_id(
    engine: Engine,
    *,
    plate: str | None = None,
    container: str | None = None,
    seal: str | None = None,
    trip: str | None = None,
) -> str | None:
    """The trip the gate is looking at: an active one (at the border first), else the latest."""
    c = t.trips.c
    with engine.connect() as conn:
        if trip:
            return conn.execute(select(c.id).where(c.id == trip)).scalar_one_or_none()
        rows = conn.execute(
            select(c.id, c.seal_id, c.vehicle_plate, c.containers, c.state, c.armed_at).where(
                c.active.is_(True)
            )
        ).all()

        n = normalise_identifier
        want_plate, want_seal = n(plate or ""), n(seal or "")
        want_container = n(container or "")

        def matches(r: Any) -> bool:
            return (
                (not plate or n(r.vehicle_plate) == want_plate)
                and (not seal or n(r.seal_id) == want_seal)
                and (not container or any(n(x) == want_container for x in r.containers))
            )

        hits = sorted(
            (r for r in rows if matches(r)),
            key=lambda r: (r.state == "at_border", r.armed_at),
            reverse=True,
        )
        if hits:
            return str(hits[0].id)
        if not (plate or seal):
            return None
        q = select(c.id).order_by(c.armed_at.desc()).limit(1)
        q = q.where(c.vehicle_plate == plate) if plate else q.where(c.seal_id == seal)
        return conn.execute(q).scalar_one_or_none()


def custody_record(engine: Engine, trip_id: str) -> CustodyRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.trips).where(t.trips.c.id == trip_id)).mappings().one_or_none()
        if row is None:
            return None
        trip = trip_from_row(row)
        declaration = SqlDeclarationRepository(conn).get(trip.declaration_id)
        if declaration is None:
            return None
        seal_state = conn.execute(
            select(t.seals.c.state).where(t.seals.c.seal_id == trip.seal_id)
        ).scalar_one()
        sealed_on = route_version(conn, trip.route_id, trip.route_version)
        zones = {z.id: z.kind for z in sealed_on.zones} if sealed_on else {}
        now = trip.armed_at  # the repositories below only read
        return CustodyRecord(
            trip=trip,
            declaration=declaration,
            inspections=SqlInspectionRepository(conn, now).for_declaration(declaration.id),
            seal_state=SealState(seal_state),
            monitor=stored_monitor(trip.id, row["monitor"]),
            zone_kinds=zones,
            open_alerts=SqlAlertRepository(conn, now).open_for_trip(trip.id),
        )


def border_check(
    engine: Engine,
    trip_id: str,
    reading: GateReading,
    *,
    officer_port: str | None,
    now: datetime,
    policy: BorderPolicy | None = None,
    port_names: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Any] | None:
    """The verdict for the officer's screen (schema landport.border-verdict/1, plus context);
    `officer_port=None`: judged as the trip's exit port would (a supervisor's view);
    `port_names`: how the checks name the ports (`border_handlers.port_names_of`)."""
    record = custody_record(engine, trip_id)
    if record is None:
        return None
    if officer_port is None:
        officer_port = record.trip.exit_port
    evidence = custody_evidence(record, reading, officer_port=officer_port, port_names=port_names)
    verdict = border_verdict(evidence, now=now, policy=policy)
    trip, p = record.trip, evidence.presented
    return {
        **verdict.as_dict(),
        "officer_port": officer_port,
        "presented": {
            "plate": p.plate,
            "containers": list(p.containers),
            "seal_id": p.seal_id,
            "trip_id": p.trip_id,
        },
        "not_read_at_gate": reading.not_read(),
        "trip": {
            "id": trip.id,
            "state": trip.state.value,
            "seal_id": trip.seal_id,
            "vehicle_plate": trip.vehicle_plate,
            "containers": list(trip.containers),
            "declaration_id": trip.declaration_id,
            "declaration_number": record.declaration.number,
            "exit_port": trip.exit_port,
            "route_id": trip.route_id,
            "window_start": iso_value(trip.window_start),
            "window_end": iso_value(trip.window_end),
        },
    }
