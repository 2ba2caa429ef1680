"""A fix delivered late that moves the trip's departure earlier must not move the trip back.

The replay re-emits only what changed (the departure's time), not the later states that
stayed as they were (en route, at the border): the stored state is the replayed state, so a
truck at the border is still at the border for the officer who verifies and releases it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from armed import Port, armed_port
from landport.adapters.db import tables as t
from landport.adapters.telemetry.ingest import TelemetryIngestor
from signed import message
from tracks import Gap, build_track, shipped_corridors

SEAL = "SEAL-0001"


@pytest.fixture
def port(database_url: str) -> Iterator[Port]:
    with armed_port(database_url, [SEAL]) as armed:
        yield armed


def stored_state(port: Port) -> str:
    with port.world.services.engine.connect() as conn:
        trips = t.trips.c
        return str(conn.execute(select(trips.state).where(trips.id == port.trips[SEAL])).scalar())


def test_a_late_fix_from_the_start_leaves_a_truck_at_the_border_at_the_border(port: Port) -> None:
    track = build_track(
        shipped_corridors()["shigatse-gyirong"],
        seal_id=SEAL,
        interval_s=120,
        gaps=[Gap(at_km=0.5, minutes=30, backfill=True)],  # leaving the yard, buffered
    )
    live = track.live()
    late = [f for d in track.deliveries if d.backfill for f in d.fixes]
    assert late and late[0].fix_time < live[-1].fix_time
    ingestor = TelemetryIngestor(port.world.services.engine, port.clock)
    for i in range(0, len(live), 40):
        batch = live[i : i + 40]
        port.clock._now = max(f.fix_time for f in batch)
        assert ingestor.ingest_messages([message(f) for f in batch]).accepted == len(batch)
    assert stored_state(port) == "at_border"

    report = ingestor.ingest_messages([message(f) for f in late])

    assert report.accepted == len(late)
    assert stored_state(port) == "at_border"
    # A second worker, reading the trip afresh, agrees: the row and its monitor state match.
    fresh = TelemetryIngestor(port.world.services.engine, port.clock)
    fresh.check_silence()
    assert stored_state(port) == "at_border"


def test_fixes_made_before_the_arming_are_kept_on_no_trip_and_judge_nothing(port: Port) -> None:
    """A lock's fixes from before its trip was armed (a dead letter of an earlier trip
    replayed, a lock that reported before the arming reached it) at the border port: fed to
    the trip they would have put a truck still in the yard at the border."""
    track = build_track(shipped_corridors()["shigatse-gyirong"], seal_id=SEAL, interval_s=120)
    ingestor = TelemetryIngestor(port.world.services.engine, port.clock)
    first = track.live()[:5]
    port.clock._now = first[-1].fix_time
    assert ingestor.ingest_messages([message(f) for f in first]).accepted == 5
    shift = track.fixes[-1].fix_time - track.fixes[0].fix_time + timedelta(days=1)
    before = [replace(f, fix_time=f.fix_time - shift) for f in track.fixes[-5:]]  # at Gyirong

    report = ingestor.ingest_messages([message(f) for f in before])

    assert (report.accepted, report.without_trip) == (5, 5)
    assert stored_state(port) == "in_yard"
    with port.world.services.engine.connect() as conn:
        p = t.positions.c
        rows = conn.execute(select(p.trip_id).where(p.seal_id == SEAL)).scalars().all()
    assert sorted(rows, key=str) == sorted([port.trips[SEAL]] * 5 + [None] * 5, key=str)
    again = ingestor.ingest_messages([message(f) for f in before])  # redelivered: once
    assert (again.accepted, again.duplicates) == (0, 5)
