"""Position retention on SQLite and PostgreSQL: old fixes go in small batches, active trips stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, update

from builders import customs_officer, declarant
from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.adapters.db.retention import purge_positions
from landport.declarations.commands import DeclareExport
from landport.seals.commands import ArmSeal, RegisterSeal
from landport.shared.clock import FixedClock
from tracks import T0
from world import World

NOW = T0 + timedelta(days=200)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url, clock=FixedClock(T0))
    w.without_random_selection()
    yield w
    w.close()


def arm_trip(world: World, seal_id: str) -> str:
    bus = world.services.bus
    bus.handle(RegisterSeal(customs_officer(), seal_id, "generic", "json-mqtt", "x" * 20))
    released = bus.handle(DeclareExport(declarant(), furniture_payload(), submit=True)).result
    trip = bus.handle(ArmSeal(customs_officer(), seal_id, released.id, "shigatse-gyirong"))
    return str(trip.result.id)


def store(world: World, seal_id: str, trip_id: str | None, received: datetime, n: int) -> None:
    rows = [
        {
            "seal_id": seal_id,
            "seq": i,
            "trip_id": trip_id,
            "fix_time": received - timedelta(seconds=30 + i),
            "received_at": received,
            "lat": 29.2,
            "lon": 88.8,
            "speed_kmh": 40.0,
            "course": 0.0,
            "lock_state": "locked",
            "tamper": False,
            "battery_pct": 90.0,
            "source": "mqtt",
        }
        for i in range(n)
    ]
    with world.services.engine.begin() as conn:
        conn.execute(insert(t.positions), rows)


def remaining(world: World) -> dict[Any, int]:
    p = t.positions.c
    with world.services.engine.connect() as conn:
        rows = conn.execute(select(p.seal_id, func.count()).group_by(p.seal_id)).all()
    return {seal: int(count) for seal, count in rows}


def test_old_positions_go_in_batches_and_recent_or_active_ones_stay(world: World) -> None:
    active = arm_trip(world, "EL-ACTIVE")
    finished = arm_trip(world, "EL-DONE")
    with world.services.engine.begin() as conn:
        conn.execute(update(t.trips).where(t.trips.c.id == finished).values(active=False))
    old = NOW - timedelta(days=120)
    store(world, "EL-DONE", finished, old, 9)  # an exited trip's old fixes: purged
    store(world, "EL-STRAY", None, old, 14)  # fixes that never belonged to a trip: purged
    store(world, "EL-ACTIVE", active, old, 6)  # a trip still under way keeps everything
    store(world, "EL-RECENT", None, NOW - timedelta(days=10), 5)  # recent: kept

    deletes: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM POSITIONS"):
            deletes.append(statement)

    engine = world.services.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        would = purge_positions(engine, timedelta(days=90), batch=5, now=NOW, dry_run=True)
        assert would == 23 and not deletes
        purged = purge_positions(engine, timedelta(days=90), batch=5, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert purged == 23
    assert len(deletes) == 5  # 5 + 5 + 5 + 5 + 3, each batch its own short transaction
    assert remaining(world) == {"EL-ACTIVE": 6, "EL-RECENT": 5}
    assert purge_positions(engine, timedelta(days=90), batch=5, now=NOW) == 0


def test_without_keeping_active_trips_everything_old_goes(world: World) -> None:
    active = arm_trip(world, "EL-ACTIVE")
    store(world, "EL-ACTIVE", active, NOW - timedelta(days=91), 3)
    engine = world.services.engine
    assert purge_positions(engine, timedelta(days=90), batch=2, now=NOW) == 0
    assert (
        purge_positions(engine, timedelta(days=90), batch=2, now=NOW, keep_active_trips=False) == 3
    )
    assert remaining(world) == {}
    with pytest.raises(ValueError):
        purge_positions(engine, timedelta(days=90), batch=0)
