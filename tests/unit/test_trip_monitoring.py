"""Trip monitoring on the shipped corridors: no false alarms, real ones at the right time."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
import pytest

from landport.seals.alerts import Alert, AlertChange, AlertKind, Change, Resolution
from landport.seals.corridor import Corridor
from landport.seals.model import LockState, SealFix, TripState
from landport.seals.monitoring import (
    MonitorState,
    OutOfOrderBatch,
    Thresholds,
    TripPlan,
    advance,
    check_silence,
    close_alert,
    ingest,
    replay,
    trip_statistics,
)
from tracks import (
    ROUTE_IDS,
    Detour,
    Gap,
    Jump,
    LockOpen,
    Stop,
    Track,
    build_track,
    plan_for,
    shipped_corridors,
)

GYIRONG = "shigatse-gyirong"


def corridor(route_id: str = GYIRONG) -> Corridor:
    return shipped_corridors()[route_id]


def km_of(c: Corridor, zone_id: str) -> float:
    lon, lat = c.zone(zone_id).center or (0.0, 0.0)
    return float(c.chainage_m(lon, lat)[0]) / 1000.0


@dataclass
class Run:
    plan: TripPlan
    state: MonitorState
    changes: list[Change] = field(default_factory=list)

    def alerts(self, kind: AlertKind | None = None) -> list[Alert]:
        return [a for a in self.state.alerts.values() if kind is None or a.kind is kind]

    def only(self, kind: AlertKind) -> Alert:
        found = self.alerts(kind)
        assert len(found) == 1, [a.id for a in self.alerts()]
        return found[0]


def ingest_worker(
    plan: TripPlan, track: Track, *, tick_minutes: float = 5.0, until: datetime | None = None
) -> Run:
    """What the ingest worker does: batches as they arrive, and a silence check every tick."""
    run = Run(plan, MonitorState(trip_id=plan.trip_id))
    stored: list[SealFix] = []
    pending = sorted(track.deliveries, key=lambda d: d.received_at)
    now, end = track.start, until or track.end + timedelta(minutes=20)
    while now <= end:
        while pending and pending[0].received_at <= now:
            batch = pending.pop(0).fixes
            stored.extend(batch)
            run.state, changes = ingest(plan, run.state, batch, history=lambda: stored)
            run.changes += changes
        run.state, changes = check_silence(plan, run.state, now)
        run.changes += changes
        now += timedelta(minutes=tick_minutes)
    return run


def monitor(track: Track, **plan_options: object) -> Run:
    return ingest_worker(plan_for(track, **plan_options), track)  # type: ignore[arg-type]


# --- no false alarms -------------------------------------------------------------------------


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_a_clean_trip_raises_no_alert_on_each_corridor(route_id: str) -> None:
    c = corridor(route_id)
    track = build_track(c, jitter_m=40.0, stops=[Stop(km_of(c, "lhatse"), 50)])
    run = monitor(track)
    assert run.alerts() == []
    stats = trip_statistics(run.plan, run.state)
    assert stats["inside_share"] == 1.0
    assert stats["progress_share"] == pytest.approx(1.0, abs=0.001)
    assert run.state.trip_state is TripState.AT_BORDER
    assert [s for s, _ in run.state.transitions] == [
        TripState.DEPARTED,
        TripState.EN_ROUTE,
        TripState.AT_BORDER,
    ]


def test_a_clean_trip_with_sparse_fixes_through_every_bend_raises_no_alert() -> None:
    track = build_track(corridor(), speed_kmh=60.0, interval_s=240.0, jitter_m=60.0)
    assert monitor(track).alerts() == []


def test_one_noisy_fix_outside_the_corridor_does_not_raise_a_deviation() -> None:
    track = build_track(corridor(), jumps=[Jump(at_km=100, off_km=0.8)])
    run = monitor(track)
    assert run.alerts() == []
    assert run.state.inside == run.state.fixes - 1


def test_a_wild_jump_is_discarded_as_gnss_noise_and_counted_not_a_deviation() -> None:
    track = build_track(corridor(), jumps=[Jump(at_km=100, off_km=25)])
    run = monitor(track)
    jump = run.only(AlertKind.IMPLAUSIBLE_JUMP)
    assert jump.resolution is Resolution.DISCARDED_AS_NOISE and not jump.is_open
    assert run.alerts(AlertKind.ROUTE_DEVIATION) == []
    assert trip_statistics(run.plan, run.state)["discarded_jumps"] == 1


def test_a_stop_at_a_rest_stop_raises_nothing() -> None:
    c = corridor()
    assert monitor(build_track(c, stops=[Stop(km_of(c, "new-tingri"), 90)])).alerts() == []


def test_a_short_stop_between_zones_raises_nothing() -> None:
    assert monitor(build_track(corridor(), stops=[Stop(60, 15)])).alerts() == []


# --- real alerts -----------------------------------------------------------------------------


def test_a_five_km_detour_raises_a_deviation_from_the_moment_the_truck_left() -> None:
    c = corridor()
    track = build_track(c, detours=[Detour(at_km=200, off_km=5, length_km=15)])
    left = next(f for f in track.fixes if not c.inside(f.lon, f.lat)[0])
    back = next(f for f in track.fixes if f.fix_time > left.fix_time and c.inside(f.lon, f.lat)[0])
    deviation = monitor(track).only(AlertKind.ROUTE_DEVIATION)
    assert deviation.started_at == left.fix_time
    assert deviation.closed_at == back.fix_time
    assert deviation.resolution is Resolution.BACK_IN_CORRIDOR
    assert deviation.details["max_distance_m"] == pytest.approx(5_000, rel=0.02)


def hairpins(c: Corridor, off_km: float, speed_kmh: float) -> list[float]:
    """Where a point `off_km` beside the route would sweep round a bend faster than any
    truck: km of chainage, every 2 km of the open road."""
    step_m = speed_kmh / 3.6 * 60.0
    found = []
    for km in range(40, int(c.length_m / 1000.0) - 60, 2):
        along = np.arange(km * 1000.0, (km + 15) * 1000.0, step_m)
        xs, ys = c.projection.forward(*c.point_at(along, off_km * 1000.0))
        if (np.hypot(np.diff(xs), np.diff(ys)) / 60.0 * 3.6).max() > 180.0:
            found.append(float(km))
    return found


def test_a_detour_beside_a_hairpin_is_driven_as_a_truck_can_and_raises_only_a_deviation() -> None:
    c, speed = corridor(), 40.0
    places = hairpins(c, 5.0, speed)
    assert len(places) >= 3  # the Gyirong road has such bends: the case is real
    for km in places:
        track = build_track(c, speed_kmh=speed, detours=[Detour(at_km=km, off_km=5, length_km=15)])
        xs, ys = c.projection.forward([f.lon for f in track.fixes], [f.lat for f in track.fixes])
        fastest = (np.hypot(np.diff(xs), np.diff(ys)) / 60.0 * 3.6).max()
        assert fastest <= 1.5 * speed + 1e-6, km  # cuts the bend, then catches up
        assert [a.kind for a in monitor(track).alerts()] == [AlertKind.ROUTE_DEVIATION], km


def test_the_same_stop_between_zones_is_an_unscheduled_stop_until_the_truck_moves_on() -> None:
    track = build_track(corridor(), stops=[Stop(60, 90)])
    stop = monitor(track).only(AlertKind.UNSCHEDULED_STOP)
    parked = track.time_at_km(60)
    assert parked <= stop.started_at <= parked + timedelta(minutes=1)
    assert stop.resolution is Resolution.MOVED_ON
    assert stop.closed_at is not None and stop.closed_at - stop.started_at >= timedelta(minutes=90)


def test_a_far_fix_opens_a_deviation_at_once_when_a_distance_threshold_is_set() -> None:
    track = build_track(corridor(), interval_s=120.0, jumps=[Jump(at_km=100, off_km=3)])
    assert monitor(track).alerts() == []
    run = monitor(track, thresholds=Thresholds(deviation_far_m=2_000))
    assert run.only(AlertKind.ROUTE_DEVIATION).resolution is Resolution.BACK_IN_CORRIDOR


def test_opening_the_lock_in_the_border_zone_is_fine() -> None:
    run = monitor(build_track(corridor(), lock_opens=[LockOpen(at_km=None)]))
    assert run.alerts() == []
    assert [(e["lock"], e["allowed"], e["zone"]) for e in run.state.lock_events] == [
        ("opened", True, "gyirong-port")
    ]


def test_opening_the_lock_en_route_is_an_alarm_where_it_happened() -> None:
    track = build_track(corridor(), lock_opens=[LockOpen(at_km=250, relock_after_minutes=10)])
    opened = monitor(track).only(AlertKind.SEAL_OPENED)
    assert opened.is_open  # only an officer closes it
    assert opened.started_at == next(f.fix_time for f in track.fixes if f.lock_state == "opened")
    assert opened.details["chainage_km"] == pytest.approx(250, abs=1)
    assert "opened" in opened.message_en and "打开" in opened.message_zh


def test_an_officer_closes_a_seal_opening_and_a_replay_keeps_it_closed() -> None:
    track = build_track(corridor(), lock_opens=[LockOpen(at_km=250)])
    run = monitor(track)
    opened = run.only(AlertKind.SEAL_OPENED)
    state, changes = close_alert(run.state, opened.id, track.end, by="officer-7")
    assert [(c.action, c.alert.id) for c in changes if isinstance(c, AlertChange)] == [
        ("closed", opened.id)
    ]
    state, changes = replay(run.plan, track.fixes, previous=state)
    assert changes == [] and state.alerts[opened.id].resolution is Resolution.RESOLVED_BY_OFFICER


def test_tampering_and_a_low_battery_raise_one_alert_each() -> None:
    track = build_track(
        corridor(), tamper_at_km=300, battery_start_pct=30.0, battery_drain_pct_per_h=2.0
    )
    run = monitor(track)
    assert run.only(AlertKind.TAMPER).is_open
    assert float(run.only(AlertKind.LOW_BATTERY).details["battery_pct"] or 100) < 20


def test_overdue_when_the_window_passes_and_closed_on_late_arrival() -> None:
    track = build_track(corridor())
    run = monitor(track, window_hours=6)
    overdue = run.only(AlertKind.OVERDUE)
    assert overdue.started_at == track.start + timedelta(hours=6)
    assert overdue.resolution is Resolution.ARRIVED_LATE
    assert overdue.closed_at == run.state.first_arrival


@pytest.mark.parametrize("awaits_departure", [True, False], ids=["no-departure", "planned"])
def test_a_truck_still_in_the_yard_is_overdue_only_once_its_departure_is_planned(
    awaits_departure: bool,
) -> None:
    """Eight hours parked in the yard against a six-hour window: without a planned departure
    the window is provisional; once the truck leaves the yard it is held to it."""
    track = build_track(corridor(), yard_minutes=8 * 60)
    plan = replace(plan_for(track, window_hours=6), awaits_departure=awaits_departure)
    in_yard = ingest_worker(plan, track, until=track.start + timedelta(hours=7))
    assert in_yard.state.trip_state is TripState.IN_YARD
    assert bool(in_yard.alerts(AlertKind.OVERDUE)) is not awaits_departure
    # The same fixes replayed in fix-time order (a late batch) reach the same verdict.
    parked = [f for f in track.fixes if f.fix_time < track.start + timedelta(hours=7)]
    replayed, _ = replay(plan, reversed(parked))
    assert replayed.trip_state is TripState.IN_YARD
    assert (
        any(a.kind is AlertKind.OVERDUE for a in replayed.alerts.values()) is not awaits_departure
    )
    overdue = ingest_worker(plan, track).only(AlertKind.OVERDUE)
    assert overdue.started_at == track.start + timedelta(hours=6)
    assert overdue.resolution is Resolution.ARRIVED_LATE


# --- signal gaps and backfills ---------------------------------------------------------------


@pytest.mark.parametrize("delivered_after", [0, 3], ids=["backfill-first", "live-first"])
def test_a_signal_gap_raises_signal_lost_and_a_backfill_along_the_route_explains_it(
    delivered_after: int,
) -> None:
    track = build_track(
        corridor(), gaps=[Gap(at_km=150, minutes=90, delivered_after=delivered_after)]
    )
    run = monitor(track)
    lost = run.only(AlertKind.SIGNAL_LOST)
    last_heard = max(f.fix_time for f in track.fixes if f.fix_time < track.time_at_km(150))
    assert lost.started_at == last_heard
    assert lost.resolution is Resolution.EXPLAINED_BY_BACKFILL
    first = next(c for c in run.changes if isinstance(c, AlertChange) and c.alert.id == lost.id)
    assert first.action == "opened" and first.alert.is_open
    assert trip_statistics(run.plan, run.state)["longest_gap_minutes"] == 1.0
    assert len(run.alerts()) == 1


def test_a_gap_that_is_never_backfilled_closes_when_fixes_resume_and_says_the_route_was_kept() -> (
    None
):
    track = build_track(corridor(), gaps=[Gap(at_km=150, minutes=90, backfill=False)])
    run = monitor(track)
    lost = run.only(AlertKind.SIGNAL_LOST)
    assert lost.resolution is Resolution.FIXES_RESUMED
    assert lost.details["consistent_with_route"] is True
    assert 89 <= trip_statistics(run.plan, run.state)["longest_gap_minutes"] <= 91


@pytest.mark.parametrize("delivered_after", [0, 3], ids=["backfill-first", "live-first"])
@pytest.mark.parametrize("detour_km", [160, 185], ids=["before-the-alarm", "after-the-alarm"])
def test_a_backfill_showing_a_detour_during_the_gap_raises_a_deviation_at_the_right_time(
    delivered_after: int, detour_km: float
) -> None:
    c = corridor()
    track = build_track(
        c,
        gaps=[Gap(at_km=150, minutes=90, delivered_after=delivered_after)],
        detours=[Detour(at_km=detour_km, off_km=5, length_km=20)],
    )
    left = next(f for f in track.fixes if not c.inside(f.lon, f.lat)[0])
    run = monitor(track)
    deviation = run.only(AlertKind.ROUTE_DEVIATION)
    assert deviation.started_at == left.fix_time
    assert track.time_at_km(150) <= deviation.started_at <= track.time_at_km(210)
    lost = run.only(AlertKind.SIGNAL_LOST)
    assert lost.resolution is Resolution.BACKFILLED
    assert deviation.id in str(lost.details["meanwhile"])


def test_advance_refuses_late_fixes_and_asks_for_a_replay() -> None:
    track = build_track(corridor())
    plan = plan_for(track)
    state, _ = advance(plan, MonitorState("TRIP-1"), track.fixes[100:110])
    with pytest.raises(OutOfOrderBatch) as caught:
        advance(plan, state, track.fixes[50:51])
    assert caught.value.earliest == track.fixes[50].fix_time


# --- idempotence and persistence -------------------------------------------------------------


def test_duplicates_change_nothing() -> None:
    track = build_track(corridor(), detours=[Detour(at_km=200, off_km=5)], batch_size=10)
    plan = plan_for(track)
    state = MonitorState("TRIP-1")
    for delivery in track.deliveries:
        state, _ = advance(plan, state, delivery.fixes)
        again, changes = advance(plan, state, delivery.fixes)
        assert changes == [] and again.as_dict() == state.as_dict()
    old, changes = ingest(plan, state, track.fixes[5:6], history=lambda: track.fixes)
    assert changes == [] and old.alerts == state.alerts  # a redelivery from long ago


def test_replaying_every_fix_gives_the_same_state_and_no_changes() -> None:
    track = build_track(corridor(), detours=[Detour(at_km=200, off_km=5)], stops=[Stop(60, 40)])
    run = monitor(track)
    assert len(run.alerts()) == 2
    state, changes = replay(run.plan, reversed(track.fixes), previous=run.state)
    assert changes == []
    assert state.as_dict() == run.state.as_dict()


def test_a_replay_from_a_checkpoint_equals_a_replay_from_the_start() -> None:
    track = build_track(corridor(), gaps=[Gap(at_km=150, minutes=90)], stops=[Stop(60, 40)])
    plan = plan_for(track)
    checkpoint, _ = replay(plan, track.fixes[:100])
    from_start, _ = replay(plan, track.fixes)
    from_checkpoint, _ = replay(plan, track.fixes[100:], start=checkpoint)
    assert from_checkpoint.as_dict() == from_start.as_dict()
    with pytest.raises(ValueError):
        replay(plan, track.fixes[20:], start=checkpoint)  # 20-35: older, not yet seen


def test_the_state_survives_a_json_round_trip_and_goes_on_the_same() -> None:
    track = build_track(corridor(), detours=[Detour(at_km=200, off_km=5)], stops=[Stop(60, 40)])
    plan = plan_for(track)
    half = len(track.fixes) // 2
    state, _ = advance(plan, MonitorState("TRIP-1"), track.fixes[:half])
    stored = json.loads(json.dumps(state.as_dict(), ensure_ascii=False))
    restored = MonitorState.from_dict(stored)
    assert restored.as_dict() == state.as_dict()
    a, _ = advance(plan, state, track.fixes[half:])
    b, _ = advance(plan, restored, track.fixes[half:])
    assert a.as_dict() == b.as_dict()


def test_every_alert_reads_in_english_and_chinese() -> None:
    c = corridor()
    track = build_track(
        c,
        detours=[Detour(at_km=200, off_km=5)],
        stops=[Stop(60, 40)],
        gaps=[Gap(at_km=300, minutes=60, backfill=False)],
        lock_opens=[LockOpen(at_km=350, relock_after_minutes=5)],
        jumps=[Jump(at_km=100)],
        tamper_at_km=380,
        battery_start_pct=25.0,
        battery_drain_pct_per_h=1.0,
    )
    run = monitor(track, window_hours=6)
    assert {a.kind for a in run.alerts()} == set(AlertKind)
    for alert in run.alerts():
        assert alert.message_en and alert.message_zh and alert.message_en != alert.message_zh
        assert alert.as_dict()["severity"] in {"alarm", "warning", "info"}


# --- reports without a satellite fix (a JT/T 808 lock jammed or in a tunnel) ----------------


def jammed(track: Track, at_km: float, minutes: float, **reading: object) -> Track:
    """The track with its fixes of `minutes` from `at_km` reported without a GNSS fix: the
    position zero, the readings changed as given."""
    t0 = track.time_at_km(at_km)
    t1 = t0 + timedelta(minutes=minutes)

    def blind(f: SealFix) -> SealFix:
        if not t0 <= f.fix_time < t1:
            return f
        return replace(f, lat=0.0, lon=0.0, positioned=False, **reading)  # type: ignore[arg-type]

    return replace(
        track,
        fixes=[blind(f) for f in track.fixes],
        deliveries=[replace(d, fixes=[blind(f) for f in d.fixes]) for d in track.deliveries],
    )


def test_reports_without_a_gnss_fix_raise_their_alarms_and_are_never_on_or_off_the_route() -> None:
    track = jammed(
        build_track(corridor()),
        250,
        90,
        lock_state=LockState.OPENED,
        tamper=True,
        battery_pct=5.0,
    )
    blind = [f for f in track.fixes if not f.positioned]
    assert len(blind) >= 80
    run = monitor(track)
    opened = run.only(AlertKind.SEAL_OPENED)
    assert opened.started_at == blind[0].fix_time and opened.is_open
    assert opened.details["gnss_fix"] is False  # where it was last seen, not at (0, 0)
    assert 248 <= float(opened.details["chainage_km"] or 0) < 250
    tamper = run.only(AlertKind.TAMPER)
    assert tamper.started_at == blind[0].fix_time and tamper.details["gnss_fix"] is False
    assert run.only(AlertKind.LOW_BATTERY).started_at == blind[0].fix_time
    # no position for 90 minutes is a signal loss, closed when fixes resume on the route
    lost = run.only(AlertKind.SIGNAL_LOST)
    assert lost.started_at < blind[0].fix_time and lost.resolution is Resolution.FIXES_RESUMED
    assert lost.details["consistent_with_route"] is True
    for kind in (AlertKind.ROUTE_DEVIATION, AlertKind.IMPLAUSIBLE_JUMP, AlertKind.UNSCHEDULED_STOP):
        assert run.alerts(kind) == []
    stats = trip_statistics(run.plan, run.state)
    assert stats["inside_share"] == 1.0
    assert (stats["fixes"], stats["fixes_received"]) == (
        len(track.fixes) - len(blind),
        len(track.fixes),
    )
    assert run.state.trip_state is TripState.AT_BORDER
    assert run.state.last_fix_time == track.fixes[-1].fix_time


def test_a_lock_opened_in_the_yard_before_its_first_satellite_fix_raises_no_alarm() -> None:
    """A lock armed under the inspection shed's roof has no fix yet: opened there, it is
    where it was armed (the departure yard, where opening is allowed), not nowhere."""
    base = build_track(corridor())
    first = base.fixes[0].fix_time
    blind = {f.fix_time for f in base.fixes if f.fix_time < first + timedelta(minutes=3)}
    assert blind and all(f.fix_time in blind for f in base.fixes[: len(blind)])

    def at_arming(f: SealFix) -> SealFix:
        if f.fix_time not in blind:
            return f
        return replace(f, lat=0.0, lon=0.0, positioned=False, lock_state=LockState.OPENED)

    track = replace(
        base,
        fixes=[at_arming(f) for f in base.fixes],
        deliveries=[replace(d, fixes=[at_arming(f) for f in d.fixes]) for d in base.deliveries],
    )
    run = monitor(track)
    assert run.alerts(AlertKind.SEAL_OPENED) == []
    assert run.state.lock_events and run.state.lock_events[0]["allowed"] is True


def test_a_replay_reads_reports_without_a_gnss_fix_as_the_live_batches_did() -> None:
    track = jammed(build_track(corridor(), batch_size=10), 250, 20, lock_state=LockState.OPENED)
    run = monitor(track)
    assert run.only(AlertKind.SEAL_OPENED).details["gnss_fix"] is False
    state, changes = replay(run.plan, reversed(track.fixes), previous=run.state)
    assert changes == []
    assert state.as_dict() == run.state.as_dict()


def test_a_fix_older_than_a_report_without_a_gnss_fix_is_late_and_replayed() -> None:
    track = build_track(corridor())
    plan = plan_for(track)
    blind = replace(track.fixes[105], lat=0.0, lon=0.0, positioned=False)
    state, _ = advance(plan, MonitorState("TRIP-1"), [*track.fixes[100:104], blind])
    assert state.last_fix_time == track.fixes[103].fix_time  # no fix for the gaps...
    assert state.last_report_time == blind.fix_time  # ...but a report the order counts
    restored = MonitorState.from_dict(json.loads(json.dumps(state.as_dict())))
    assert restored.last_report_time == blind.fix_time
    with pytest.raises(OutOfOrderBatch):
        advance(plan, restored, track.fixes[104:105])


def test_a_state_stored_before_reports_were_kept_orders_fixes_by_its_last_fix() -> None:
    """A stored state without `last_report_time` takes its last fix as its last report: a
    fix before it is late, one after it advances the trip as before."""
    track = build_track(corridor())
    plan = plan_for(track)
    state, _ = advance(plan, MonitorState("TRIP-1"), track.fixes[100:104])
    stored = state.as_dict()
    del stored["last_report_time"]
    restored = MonitorState.from_dict(stored)
    assert restored.last_report_time == restored.last_fix_time == track.fixes[103].fix_time
    assert restored.as_dict() == state.as_dict()
    with pytest.raises(OutOfOrderBatch):
        advance(plan, restored, track.fixes[99:100])
    later, _ = advance(plan, restored, track.fixes[104:106])
    assert later.last_report_time == track.fixes[105].fix_time


def test_the_monitor_knows_since_when_a_truck_lies_in_its_zone() -> None:
    """Entering a zone starts its clock, standing there keeps it, leaving it clears it: the
    big screen tells a truck resting at a rest stop from one driving through."""
    c = corridor()
    town = km_of(c, "new-tingri")
    track = build_track(c, stops=[Stop(town, 90)])
    plan = plan_for(track)
    zone = c.zone("new-tingri")
    entry = next(i for i, f in enumerate(track.fixes) if c.zone_at([f.lon], [f.lat])[0] == zone.id)
    arrived, _ = advance(plan, MonitorState("TRIP-1"), track.fixes[: entry + 1])
    assert arrived.pos_zone == "new-tingri"
    assert arrived.zone_since == arrived.pos_time == track.fixes[entry].fix_time
    inside = entry
    while c.zone_at([track.fixes[inside + 1].lon], [track.fixes[inside + 1].lat])[0] == zone.id:
        inside += 1
    rested, _ = advance(plan, arrived, track.fixes[entry + 1 : inside + 1])
    assert rested.zone_since == track.fixes[entry].fix_time  # standing there kept the clock
    assert rested.pos_time is not None and rested.pos_time - rested.zone_since >= timedelta(
        minutes=90
    )
    left, _ = advance(plan, rested, track.fixes[inside + 1 : inside + 2])
    assert left.pos_zone is None and left.zone_since is None  # back on the open road
    stored = MonitorState.from_dict(json.loads(json.dumps(rested.as_dict())))
    assert stored.zone_since == rested.zone_since


def test_a_state_stored_before_zones_were_timed_reads_without_a_time() -> None:
    track = build_track(corridor())
    state, _ = advance(plan_for(track), MonitorState("TRIP-1"), track.fixes[:4])
    stored = state.as_dict()
    stored["pos"] = stored["pos"][:6]
    assert state.zone_since is not None  # in the yard's zone
    assert MonitorState.from_dict(stored).zone_since is None
