"""Ingest workers remember their trips between batches; several workers must stay right.

Two trips get the same journey (a detour, a dead zone backfilled late, a silence check):
one through a single ingestor, the other through two ingestors taking turns batch by batch
on the same database, each with its own memory of the trip. Both must end identical.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import func, select, update

from armed import Port, armed_port
from landport.adapters.db import tables as t
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.seals.model import SealFix
from signed import message
from tracks import Detour, Gap, build_track, shipped_corridors

SEALS = ("SEAL-0001", "SEAL-0002")


@pytest.fixture
def port(database_url: str) -> Iterator[Port]:
    with armed_port(database_url, SEALS) as armed:
        yield armed


Journey = tuple[list[list[SealFix]], list[list[SealFix]], datetime]


def journey(seal_id: str) -> Journey:
    """The live batches up to the far end of a dead zone, the silence check's time, then
    the zone's backfill (late, out of order) and the rest: batches of 40 fixes, as delivered."""
    track = build_track(
        shipped_corridors()["shigatse-gyirong"],
        seal_id=seal_id,
        interval_s=120,
        detours=[Detour(at_km=120, off_km=6, length_km=20)],
        gaps=[Gap(at_km=200, minutes=90, backfill=True)],
    )
    live = track.live()
    split = next(i for i, f in enumerate(live) if f.fix_time > track.time_at_km(240))
    backfill = [f for d in track.deliveries if d.backfill for f in d.fixes]

    def chunks(fixes: list[SealFix]) -> list[list[SealFix]]:
        return [fixes[i : i + 40] for i in range(0, len(fixes), 40)]

    return chunks(live[:split]), [*chunks(backfill), *chunks(live[split:])], track.time_at_km(240)


def run(port: Port, alone: TelemetryIngestor, pair: list[TelemetryIngestor]) -> None:
    """Both journeys in step (same fix times): the first trip's batches all go to `alone`,
    the second trip's to the two workers in turn; one silence check covers both trips."""
    journeys = [journey(seal) for seal in SEALS]
    turn = 0
    for part in (0, 1):
        for batch, twin_batch in zip(journeys[0][part], journeys[1][part], strict=True):
            port.clock._now = max(f.fix_time for f in batch)
            for worker, fixes in ((alone, batch), (pair[turn % 2], twin_batch)):
                report = worker.ingest_messages([message(f) for f in fixes])
                assert report.accepted == len(fixes)
            turn += 1
        if part == 0:
            port.clock._now = journeys[0][2]
            pair[turn % 2].check_silence()
            turn += 1


def outcome(port: Port, seal_id: str) -> tuple[object, ...]:
    trip_id = port.trips[seal_id]
    alerts = t.alerts.c
    with port.world.services.engine.connect() as conn:
        row = conn.execute(select(t.trips).where(t.trips.c.id == trip_id)).mappings().one()
        found = conn.execute(
            select(alerts.kind, alerts.state, alerts.opened_at, alerts.closed_at)
            .where(alerts.trip_id == trip_id)
            .order_by(alerts.kind)
        ).all()
        stored = conn.execute(
            select(func.count()).select_from(t.positions).where(t.positions.c.trip_id == trip_id)
        ).scalar_one()
    monitor = json.dumps(row["monitor"], sort_keys=True).replace(trip_id, "TRIP")
    return row["state"], row["last_fix_time"], monitor, [tuple(a) for a in found], stored


def test_two_ingestors_taking_turns_on_one_trip_end_as_one_ingestor_would(port: Port) -> None:
    engine = port.world.services.engine
    alone = TelemetryIngestor(engine, port.clock)
    first, second = TelemetryIngestor(engine, port.clock), TelemetryIngestor(engine, port.clock)
    run(port, alone, [first, second])

    single, shared = outcome(port, SEALS[0]), outcome(port, SEALS[1])
    assert single[0] == "at_border"
    assert {a[0] for a in single[3]} >= {"route_deviation", "signal_lost"}
    assert shared == single
    # Each worker found the trip moved on by the other, read it again and never overwrote it.
    assert first.trips.hits == second.trips.hits == 0
    assert first.trips.misses >= 5 and second.trips.misses >= 5
    # The lone worker trusted its memory except after the silence check wrote its trip.
    assert alone.trips.misses == 2 and alone.trips.hits >= 8


def test_a_trip_changed_by_another_writer_is_read_again(port: Port) -> None:
    worker = TelemetryIngestor(port.world.services.engine, port.clock)
    batches, _, _ = journey(SEALS[0])
    trip_id = port.trips[SEALS[0]]
    for batch in batches[:3]:
        port.clock._now = max(f.fix_time for f in batch)
        worker.ingest_messages([message(f) for f in batch])
    assert worker.trips.hits == 2 and worker.trips.misses == 1
    # An officer's command (here: its effect on the row) bumps the version and the state.
    with port.world.services.engine.begin() as conn:
        row = conn.execute(select(t.trips).where(t.trips.c.id == trip_id)).mappings().one()
        monitor = {**row["monitor"], "counts": [1000, 1000, 1000, 0]}
        conn.execute(
            update(t.trips)
            .where(t.trips.c.id == trip_id)
            .values(version=row["version"] + 1, monitor=monitor)
        )
    batch = batches[3]
    port.clock._now = max(f.fix_time for f in batch)
    worker.ingest_messages([message(f) for f in batch])
    assert worker.trips.misses == 2
    with port.world.services.engine.connect() as conn:
        after = conn.execute(select(t.trips).where(t.trips.c.id == trip_id)).mappings().one()
    # Built on what was stored, not on the worker's memory: counted on from the stored counts.
    assert after["monitor"]["counts"][0] == 1000 + len(batch)
    assert after["version"] == row["version"] + 2


def test_a_failed_batch_leaves_the_memory_as_it_was(port: Port) -> None:
    worker = TelemetryIngestor(port.world.services.engine, port.clock)
    batches, _, _ = journey(SEALS[0])
    port.clock._now = max(f.fix_time for f in batches[0])
    worker.ingest_messages([message(f) for f in batches[0]])
    broken = batches[1]
    port.clock._now = max(f.fix_time for f in broken)
    original = worker._apply

    def crash(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the worker died mid-batch")

    worker._apply = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        worker.ingest_messages([message(f) for f in broken])
    worker._apply = original  # type: ignore[method-assign]
    report = worker.ingest_messages([message(f) for f in broken])
    assert report.accepted == len(broken)  # nothing of the failed batch was kept
    assert worker.trips.misses == 1 and worker.trips.hits == 2
