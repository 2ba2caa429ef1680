"""Position retention on SQLite and PostgreSQL: old fixes go in small batches, audited; active
trips, unresolved alerts and unsettled border referrals keep theirs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, update

from builders import customs_officer, declarant, with_own_container
from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from landport.adapters.db.retention import REFERRAL_EVIDENCE, purge_positions
from landport.audit.chain import format_time
from landport.declarations.commands import DecideDeclaration, DeclareExport
from landport.enterprises.model import Actor, Role
from landport.seals.border_handlers import GateReading, ReferToInspection
from landport.seals.commands import ArmSeal, RegisterSeal
from landport.shared.clock import FixedClock
from tracks import T0
from world import World

NOW = T0 + timedelta(days=200)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def world(database_url: str, clock: FixedClock) -> Iterator[World]:
    w = World(database_url, clock=clock)
    w.without_random_selection()
    yield w
    w.close()


def arm_trip(world: World, seal_id: str) -> str:
    bus = world.services.bus
    bus.handle(RegisterSeal(customs_officer(), seal_id, "generic", "json-mqtt", "x" * 20))
    goods = with_own_container(furniture_payload(), seal_id)
    released = bus.handle(DeclareExport(declarant(), goods, submit=True)).result
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


def end_trip(world: World, trip_id: str, state: str = "exited") -> None:
    with world.services.engine.begin() as conn:
        conn.execute(
            update(t.trips)
            .where(t.trips.c.id == trip_id)
            .values(state=state, active=False, closed_at=T0 + timedelta(hours=5))
        )


def raise_alert(world: World, trip_id: str, seal_id: str, state: str, n: int = 0) -> None:
    at = T0 + timedelta(hours=2, minutes=n)
    with world.services.engine.begin() as conn:
        conn.execute(
            insert(t.alerts).values(
                trip_id=trip_id,
                seal_id=seal_id,
                kind="route_deviation",
                key=f"route_deviation:{at.isoformat()}",
                severity="alarm",
                state=state,
                opened_at=at,
                message_en="off the corridor",
                message_zh="偏离路线",
                details={},
            )
        )


def refer(world: World, trip_id: str) -> str:
    """The border officer of the trip's exit port refers it; returns its declaration's id."""
    with world.services.engine.connect() as conn:
        port, declaration, plate = conn.execute(
            select(t.trips.c.exit_port, t.trips.c.declaration_id, t.trips.c.vehicle_plate).where(
                t.trips.c.id == trip_id
            )
        ).one()
    border = Actor("border.pemba", Role.BORDER_OFFICER, port_id=port)
    read = GateReading(plate=plate)  # the truck stands at the gate
    done = world.services.bus.handle(
        ReferToInspection(border, trip_id, "lock opened at km 150", read)
    )
    assert done.result["trip_state"] == "referred"
    assert done.result["declaration_status"] == "held"
    return str(declaration)


def test_unresolved_alerts_and_unsettled_referrals_keep_their_track(
    world: World, clock: FixedClock
) -> None:
    ended = arm_trip(world, "EL-DONE")
    end_trip(world, ended)
    raise_alert(world, ended, "EL-DONE", "resolved")  # handled: no longer a reason to keep
    raise_alert(world, ended, "EL-DONE", "closed", 1)  # cleared by the track itself
    referred = arm_trip(world, "EL-REFERRED")
    declaration = refer(world, referred)  # inactive now, like an exited trip
    for seal, state in (("EL-OPEN", "open"), ("EL-SEEN", "acknowledged")):
        trip = arm_trip(world, seal)
        end_trip(world, trip, "unsealed" if seal == "EL-OPEN" else "exited")
        raise_alert(world, trip, seal, state)
    old = NOW - timedelta(days=120)
    with world.services.engine.connect() as conn:
        trips = dict(conn.execute(select(t.trips.c.seal_id, t.trips.c.id)).all())
    for seal in ("EL-DONE", "EL-REFERRED", "EL-OPEN", "EL-SEEN"):
        store(world, seal, trips[seal], old, 4)

    engine = world.services.engine
    assert purge_positions(engine, timedelta(days=90), batch=3, now=NOW, dry_run=True) == 4
    assert purge_positions(engine, timedelta(days=90), batch=3, now=NOW) == 4
    assert remaining(world) == {"EL-REFERRED": 4, "EL-OPEN": 4, "EL-SEEN": 4}

    # the officer closes the acknowledged alert with a finding; after the inspection the
    # referred declaration is rejected, a final state: both cases are settled
    with engine.begin() as conn:
        conn.execute(
            update(t.alerts).where(t.alerts.c.seal_id == "EL-SEEN").values(state="resolved")
        )
    clock.advance(timedelta(days=1))
    decision = DecideDeclaration(customs_officer(), declaration, "reject", "undeclared goods")
    world.services.bus.handle(decision)
    assert purge_positions(engine, timedelta(days=90), batch=3, now=NOW) == 8
    assert remaining(world) == {"EL-OPEN": 4}  # never handled: kept whatever its age


def test_a_referral_nothing_can_settle_keeps_its_track_for_the_evidence_period(
    world: World,
) -> None:
    """The declaration was rejected while the truck was on the road: the referral cannot
    change it, so its track is kept for the evidence period after the referral."""
    trip = arm_trip(world, "EL-REFERRED")
    end_trip(world, trip, "referred")
    with world.services.engine.begin() as conn:
        declaration = conn.execute(
            select(t.trips.c.declaration_id).where(t.trips.c.id == trip)
        ).scalar_one()
        conn.execute(
            update(t.declarations)
            .where(t.declarations.c.id == declaration)
            .values(status="rejected", updated_at=T0 + timedelta(hours=3))  # before it
        )
    store(world, "EL-REFERRED", trip, NOW - timedelta(days=120), 3)
    engine = world.services.engine
    assert purge_positions(engine, timedelta(days=90), batch=10, now=NOW) == 0
    later = T0 + timedelta(hours=5) + REFERRAL_EVIDENCE + timedelta(days=1)
    assert purge_positions(engine, timedelta(days=90), batch=10, now=later) == 3
    assert remaining(world) == {}


def test_every_batch_that_deletes_is_in_the_audit_chain(world: World) -> None:
    ended = arm_trip(world, "EL-DONE")
    end_trip(world, ended)
    old = NOW - timedelta(days=120)
    store(world, "EL-DONE", ended, old, 4)
    store(world, "EL-STRAY", None, old - timedelta(minutes=1), 3)  # older: the first batch's
    engine = world.services.engine
    a = t.audit_log.c

    def entries() -> list[Any]:
        with engine.connect() as conn:
            query = select(a.actor, a.action, a.entity_id, a.before_digest, a.detail)
            return list(conn.execute(query.order_by(a.seq)))

    before = len(entries())
    assert purge_positions(engine, timedelta(days=90), batch=10, now=NOW, dry_run=True) == 7
    assert len(entries()) == before  # counting changes nothing
    assert purge_positions(engine, timedelta(days=90), batch=5, now=NOW) == 7
    purges = entries()[before:]
    assert [(e.actor, e.action) for e in purges] == [("retention", "positions.purged")] * 2
    cutoff = format_time(NOW - timedelta(days=90))
    figures = [json.loads(e.detail) for e in purges]
    assert figures == [
        {"positions": 5, "trips": 1, "without_trip": 3, "received_before": cutoff},
        {"positions": 2, "trips": 1, "without_trip": 0, "received_before": cutoff},
    ]
    assert all(e.entity_id == cutoff and e.before_digest for e in purges)
    assert purge_positions(engine, timedelta(days=90), batch=5, now=NOW) == 0
    assert len(entries()) == before + 2  # a purge that deleted nothing writes nothing
    assert verify_audit(engine).intact
