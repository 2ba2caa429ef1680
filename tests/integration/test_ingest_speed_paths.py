"""The ingest's fast paths store what the general ones store, on SQLite and PostgreSQL.

Two trips get the same journey (a detour, a dead zone backfilled late, a redelivery): one as
devices commonly publish (`json.dumps`, spaces, insertion order: the general verify), the
other in canonical layout as the twin publishes (the HMAC over the received bytes). Both
must end identical: trip row, monitor state, alerts and stored positions. The values written
to SQLite by the driver directly must be those SQLAlchemy's column types write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from armed import Port, armed_port
from landport.adapters.db import tables as t
from landport.adapters.db.driver_sql import sqlite_time
from landport.adapters.telemetry.ingest import RawMessage, TelemetryIngestor
from landport.adapters.telemetry.position_store import history
from landport.seals.model import LockState, SealFix
from landport.seals.monitor_state import MonitorState
from landport.seals.telemetry import canonical, topic_for, with_signature
from signed import SECRET, message
from tracks import Detour, Gap, build_track, shipped_corridors

GENERAL, CANONICAL = "SEAL-0001", "SEAL-0002"


@pytest.fixture
def port(database_url: str) -> Iterator[Port]:
    with armed_port(database_url, (GENERAL, CANONICAL)) as armed:
        yield armed


def canonical_message(fix: SealFix) -> RawMessage:
    """The general message's values, published in canonical layout with `sig` spliced in."""
    body = json.loads(message(fix).payload)
    del body["sig"]
    return RawMessage(topic_for(fix.seal_id), with_signature(canonical(body), SECRET))


def journey(seal_id: str) -> list[list[SealFix]]:
    track = build_track(
        shipped_corridors()["shigatse-gyirong"],
        seal_id=seal_id,
        interval_s=120,
        detours=[Detour(at_km=120, off_km=6, length_km=20)],
        gaps=[Gap(at_km=200, minutes=90, backfill=True)],
    )
    deliveries = sorted(track.deliveries, key=lambda d: d.received_at)
    batches = [d.fixes for d in deliveries]
    return [*batches[:5], batches[2][:7], *batches[5:]]  # one redelivery on the way


def outcome(port: Port, seal_id: str) -> tuple[object, ...]:
    trip_id = port.trips[seal_id]
    with port.world.services.engine.connect() as conn:
        row = conn.execute(select(t.trips).where(t.trips.c.id == trip_id)).mappings().one()
        alerts = conn.execute(
            select(t.alerts.c.kind, t.alerts.c.state, t.alerts.c.opened_at, t.alerts.c.closed_at)
            .where(t.alerts.c.trip_id == trip_id)
            .order_by(t.alerts.c.kind, t.alerts.c.opened_at)
        ).all()
        positions = conn.execute(
            select(
                t.positions.c.seq,
                t.positions.c.fix_time,
                t.positions.c.received_at,
                t.positions.c.lat,
                t.positions.c.lon,
                t.positions.c.speed_kmh,
                t.positions.c.course,
                t.positions.c.lock_state,
                t.positions.c.tamper,
                t.positions.c.battery_pct,
                t.positions.c.source,
            )
            .where(t.positions.c.trip_id == trip_id)
            .order_by(t.positions.c.seq, t.positions.c.fix_time)
        ).all()
    monitor = json.dumps(row["monitor"], sort_keys=True).replace(trip_id, "TRIP")
    head = (row["state"], row["last_fix_time"], row["last_lat"], row["last_lon"], row["version"])
    return head, monitor, [tuple(a) for a in alerts], [tuple(p) for p in positions]


def test_canonical_layout_and_general_messages_end_alike(port: Port) -> None:
    ingestor = TelemetryIngestor(port.world.services.engine, port.clock)
    general, fast = journey(GENERAL), journey(CANONICAL)
    for batch, twin in zip(general, fast, strict=True):
        port.clock._now = max(f.fix_time for f in batch)
        report = ingestor.ingest_messages(
            [message(f) for f in batch] + [canonical_message(f) for f in twin]
        )
        assert not report.rejected
    a, b = outcome(port, GENERAL), outcome(port, CANONICAL)
    assert a == b
    assert a[0][0] == "at_border" and {k for k, *_ in a[2]} >= {"route_deviation"}
    # A restarted worker (no memory) reads the stored state and goes on the same.
    stored = json.loads(b[1].replace("TRIP", port.trips[CANONICAL]))
    assert MonitorState.from_dict(stored).as_dict() == stored
    engine = port.world.services.engine
    with engine.connect() as conn:  # a replay's history (on SQLite read by the driver directly)
        read = history(conn, port.trips[CANONICAL])
        rows = conn.execute(
            select(t.positions)
            .where(t.positions.c.trip_id == port.trips[CANONICAL])
            .order_by(t.positions.c.fix_time)
        ).mappings()
        expected = [
            SealFix(
                r["seal_id"],
                r["seq"],
                r["fix_time"],
                r["lat"],
                r["lon"],
                r["speed_kmh"],
                r["course"],
                LockState(r["lock_state"]),
                r["tamper"],
                r["battery_pct"],
                r["source"],
            )
            for r in rows
        ]
    assert read == expected and len(read) > 100
    assert all(type(f.tamper) is bool and f.fix_time.tzinfo is UTC for f in read)


def test_sqlite_times_are_written_as_the_column_type_writes_them() -> None:
    dialect = sqlite.dialect()
    write = t.positions.c.fix_time.type.dialect_impl(dialect).bind_processor(dialect)
    assert write is not None
    for value in (
        datetime(2026, 5, 12, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 5, 12, 3, 4, 5, 120, tzinfo=UTC),
        datetime(2026, 5, 12, 11, 4, 5, 999_999, tzinfo=timezone(timedelta(hours=8))),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
        None,
    ):
        assert sqlite_time(value) == write(value)
    naive = datetime(2026, 5, 12, 3, 4, 5, tzinfo=UTC).replace(tzinfo=None)
    with pytest.raises(ValueError):
        sqlite_time(naive)  # refused by both
    with pytest.raises(ValueError):
        write(naive)
