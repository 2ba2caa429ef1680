"""An arming and a telemetry batch of the same seal on PostgreSQL: one waits for the other, so
no fix is stored without the trip it belongs to. (SQLite's writers take turns already.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, text

from armed import OFFICER, Port, armed_port
from conftest import PostgresDatabases
from landport.adapters.db import tables as t
from landport.adapters.db.custody import SqlSealRepository, SqlTripRepository
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.adapters.telemetry.position_store import active_trips, insert_positions
from landport.seals.commands import ArmSeal
from signed import message
from tracks import T0, build_track, shipped_corridors

SEAL = "SEAL-0001"
FIX = replace(
    build_track(shipped_corridors()["shigatse-gyirong"]).fixes[0],
    seal_id=SEAL,
    fix_time=T0 + timedelta(minutes=1),
)
WAIT_LIMIT_S = 10.0
_ADVISORY_WAITS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
)


@pytest.fixture
def port(postgres_databases: PostgresDatabases) -> Iterator[Port]:
    """One seal registered, its declaration released, not armed; the clock just after FIX."""
    with armed_port(postgres_databases.new(), [SEAL], arm=False) as port:
        port.clock._now = FIX.fix_time + timedelta(seconds=5)
        yield port


def stored_trip_ids(p: Port) -> list[str | None]:
    with p.world.services.engine.connect() as conn:
        return list(conn.execute(select(t.positions.c.trip_id)).scalars())


def waits_for_the_seal_lock(engine: Engine, future: Future[object]) -> bool:
    """The other side is blocked on the seal's advisory lock (seen in pg_stat_activity), and
    still is: without the lock it would have finished instead."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    with engine.connect() as conn:
        while time.monotonic() < deadline and not future.done():
            waiting = conn.execute(_ADVISORY_WAITS).scalar_one()
            # pg_stat_activity is read once per transaction (a snapshot): end it, or a first
            # look taken before the other side had connected is all this loop would ever see.
            conn.rollback()
            if waiting:
                return not future.done()
            time.sleep(0.02)
    return False


def test_an_arming_waits_for_a_batch_of_its_seal_in_flight(port: Port) -> None:
    engine = port.world.services.engine
    with ThreadPoolExecutor(1) as pool, engine.connect() as conn:
        batch = conn.begin()
        assert active_trips(conn, {SEAL}) == {}  # the batch has read: no trip yet
        arming = pool.submit(
            port.world.services.bus.handle,
            ArmSeal(OFFICER, SEAL, port.declarations[SEAL], "shigatse-gyirong"),
        )
        assert waits_for_the_seal_lock(engine, arming)
        insert_positions(conn, [FIX], {}, port.clock.now())
        batch.commit()
        trip = arming.result(timeout=30).result
    assert trip.seal_id == SEAL
    assert stored_trip_ids(port) == [None]  # received before the seal was armed


def test_a_batch_waits_for_an_arming_in_flight_and_stores_its_fix_with_the_trip(
    port: Port,
) -> None:
    engine = port.world.services.engine
    ingestor = TelemetryIngestor(engine, port.clock)
    armed = port.world.services.bus.handle(
        ArmSeal(OFFICER, SEAL, port.declarations[SEAL], "shigatse-gyirong")
    ).result
    with engine.begin() as conn:  # that trip ends; the arming below binds the seal again
        conn.execute(t.trips.update().values(active=False, state="exited"))
    with ThreadPoolExecutor(1) as pool, engine.connect() as conn:
        arming = conn.begin()
        SqlSealRepository(conn, port.clock.now()).hold_for_arming(SEAL)
        SqlTripRepository(conn).add(replace(armed, id="TRIP-AGAIN", version=0))
        batch = pool.submit(ingestor.ingest_messages, [message(FIX)])
        assert waits_for_the_seal_lock(engine, batch)
        arming.commit()
        report = batch.result(timeout=30)
    assert (report.accepted, report.without_trip) == (1, 0)
    assert stored_trip_ids(port) == ["TRIP-AGAIN"]
