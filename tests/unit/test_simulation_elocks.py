"""The twin's e-locks: what they report while parked, on the road, and after a dead battery."""

from __future__ import annotations

import json
from datetime import timedelta

from landport.seals.model import LockState
from landport.seals.telemetry import parse, verify
from landport.simulation.elocks import ELockFeed, TelemetryPump
from landport.simulation.tracks import T0, LockOpen, build_track, shipped_corridors

CORRIDOR = shipped_corridors()["shigatse-zhangmu"]


def feed() -> ELockFeed:
    return ELockFeed("TWIN-0001", "a-device-secret-of-32-characters", timedelta(minutes=10))


def test_a_parked_lock_reports_every_ten_minutes_from_the_yard() -> None:
    lock = feed()
    lock.park(CORRIDOR, T0)
    fixes = list(lock.parked_fixes(T0 + timedelta(hours=1)))
    assert [f.seq for f in fixes] == [1, 2, 3, 4, 5, 6, 7]
    assert all(f.speed_kmh == 0 and f.lock_state is LockState.LOCKED for f in fixes)
    assert CORRIDOR.zone_at([fixes[0].lon], [fixes[0].lat])[0] is not None  # in the yard zone


def test_on_the_road_stationary_fixes_are_thinned_and_the_lock_parks_again_at_the_end() -> None:
    lock = feed()
    lock.seq = 10
    track = build_track(
        CORRIDOR,
        seal_id=lock.seal_id,
        first_seq=11,
        yard_minutes=30.0,
        border_minutes=10.0,
        lock_opens=[LockOpen(at_km=100.0)],
    )
    lock.drive(track, dead_after_empty=False)
    delivered = [f for _, fixes in lock.pending for f in fixes]
    standing = [f for f in delivered if f.speed_kmh == 0 and f.lock_state is LockState.LOCKED]
    # 30 minutes in the yard: one fix each 10 minutes, not thirty
    assert [(f.fix_time - T0).total_seconds() / 60 for f in standing] == [0, 10, 20]
    opened = [f for f in track.fixes if f.lock_state is LockState.OPENED]
    assert opened and all(f in delivered for f in opened)  # an open lock reports every fix
    assert lock.seq == track.fixes[-1].seq
    lock.pending.clear()
    later = list(lock.parked_fixes(track.end + timedelta(hours=1)))
    assert later and later[0].seq == track.fixes[-1].seq + 1
    assert all(f.lock_state is LockState.OPENED for f in later)  # still open, as it was left


def test_a_lock_whose_battery_died_stays_silent() -> None:
    lock = feed()
    track = build_track(
        CORRIDOR,
        seal_id=lock.seal_id,
        battery_start_pct=35.0,
        battery_drain_pct_per_h=15.0,
        border_minutes=10.0,
    )
    lock.drive(track, dead_after_empty=True)
    delivered = [f for _, fixes in lock.pending for f in fixes]
    assert delivered and all((f.battery_pct or 0) > 0 for f in delivered)
    assert delivered[-1].fix_time < track.arrival
    lock.pending.clear()
    assert list(lock.parked_fixes(track.end + timedelta(days=1))) == []


def test_the_pump_publishes_signed_messages_the_platform_verifies() -> None:
    batches: list[list[tuple[str, bytes]]] = []
    pump = TelemetryPump(batches.append)
    lock = feed()
    lock.park(CORRIDOR, T0)
    pump.attach(lock)
    assert pump.flush_due(T0 + timedelta(minutes=25)) == 3
    assert pump.flush_due(T0 + timedelta(minutes=25)) == 0  # nothing new is due
    topic, payload = batches[0][0]
    fix = verify(parse(topic, payload), lock.secret)
    assert fix.seal_id == lock.seal_id and json.loads(payload)["seq"] == 1
    pump.detach(lock.seal_id)
    assert pump.flush_due(T0 + timedelta(hours=5)) == 0
