"""The twin's drivers: by day on the road, nights at rest stops, early ones wait near the
border for the planned opening; the platform's monitoring sees nothing wrong in that."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from landport.seals.corridor import Corridor
from landport.seals.model import SealFix
from landport.seals.monitoring import MonitorState, ingest
from landport.shared.clock import BEIJING
from landport.simulation.driving import DrivingDay, rest_stop_kms, rests_on_the_way
from landport.simulation.elocks import ELockFeed
from landport.simulation.tracks import T0, Stop, Track, build_track, shipped_corridors
from tracks import plan_for

DAY = DrivingDay(8 * 60, 20 * 60)  # 08:00-20:00 Beijing time
LEAVES = T0  # 10:00 Beijing time, a Monday
AIM = T0 + timedelta(hours=48)  # the opening two days later, 10:00


def corridor(route_id: str) -> Corridor:
    return shipped_corridors()[route_id]


def beijing(at: datetime) -> str:
    return f"{at.astimezone(BEIJING):%a %H:%M}"


def zone_of(c: Corridor, km: float) -> str | None:
    lons, lats = c.point_at([km * 1000.0], [0.0])
    return c.zone_at(lons, lats)[0]


def drive(c: Corridor) -> tuple[list[Stop], Track]:
    """A truck leaving at 10:00 at 40 km/h for the opening two days later, as the twin
    builds its track."""
    rests = rests_on_the_way(
        start=LEAVES,
        speed_kmh=40.0,
        route_km=c.length_m / 1000.0,
        rest_kms=rest_stop_kms(c),
        day=DAY,
        aim=AIM,
    )
    track = build_track(
        c,
        start=LEAVES,
        speed_kmh=40.0,
        yard_minutes=0.0,
        border_minutes=10.0,
        standing_interval_s=600.0,
        stops=rests,
    )
    return rests, track


def test_the_rest_stops_of_a_corridor_in_road_order() -> None:
    c = corridor("shigatse-gyirong")
    kms = rest_stop_kms(c)
    assert kms == sorted(kms) and len(kms) == 5
    assert [zone_of(c, km) for km in kms] == [
        "lhatse",
        "new-tingri",
        "old-tingri",
        "gyirong-county",
        "gyirong-town",
    ]


def test_a_gyirong_driver_sleeps_in_the_last_town_and_stays_there_for_the_opening() -> None:
    c = corridor("shigatse-gyirong")
    rests, track = drive(c)
    (stay,) = rests  # his night, and the next day and night, in Gyirong town
    assert zone_of(c, stay.at_km) == "gyirong-town"  # 12 km short of the port
    reached = track.time_at_km(stay.at_km)
    assert beijing(reached) == "Mon 20:44"  # on a little after dusk, not at 19:27 in the county
    assert track.arrival == AIM  # at the port for the opening the yard planned


@pytest.mark.parametrize("route_id", ["shigatse-gyirong", "shigatse-zhangmu", "shigatse-lizi"])
def test_every_stop_is_at_a_rest_stop_and_the_monitoring_raises_nothing(route_id: str) -> None:
    c = corridor(route_id)
    rests, track = drive(c)
    rest_stops = {z.id for z in c.zones if z.kind.value == "rest_stop"}
    assert rests and all(zone_of(c, r.at_km) in rest_stops for r in rests)
    feed = ELockFeed("SEAL-0001", "a-device-secret-of-32-characters", timedelta(minutes=10))
    feed.drive(track, dead_after_empty=False)
    plan = plan_for(track, window_hours=60.0)
    state = MonitorState(trip_id=plan.trip_id)
    stored: list[SealFix] = []
    for _, fixes in sorted(feed.pending, key=lambda d: d[0]):
        stored.extend(fixes)
        state, _ = ingest(plan, state, fixes, history=lambda: stored)
    assert state.alerts == {}
    assert AIM <= track.arrival <= AIM + timedelta(hours=3)


def test_a_standing_truck_reports_every_ten_minutes_and_a_moving_one_every_minute() -> None:
    _, track = drive(corridor("shigatse-zhangmu"))
    gaps = {
        (b.fix_time - a.fix_time).total_seconds()
        for a, b in zip(track.fixes, track.fixes[1:], strict=False)
        if a.speed_kmh == 0 and b.speed_kmh == 0
    }
    assert gaps == {600.0}
    assert len(track.fixes) < 1000  # two days: 9 hours at a fix a minute, the rest parked


def test_driving_all_day_and_no_planned_arrival_means_no_stop() -> None:
    c = corridor("shigatse-lizi")
    rests = rests_on_the_way(
        start=LEAVES,
        speed_kmh=40.0,
        route_km=c.length_m / 1000.0,
        rest_kms=rest_stop_kms(c),
        day=DrivingDay(0, 24 * 60),
        aim=None,
    )
    assert rests == []


def test_without_a_rest_stop_behind_him_at_dusk_the_driver_goes_on_to_the_next() -> None:
    rests = rests_on_the_way(
        start=LEAVES, speed_kmh=40.0, route_km=500.0, rest_kms=[450.0], day=DAY
    )
    (night,) = rests
    assert night.at_km == 450.0  # at 20:00 he is at km 400: on to the town at km 450
    assert night.minutes == pytest.approx(10 * 60 + 45)  # from 21:15 to 08:00


def test_an_incidents_stop_counts_in_where_the_evening_finds_him() -> None:
    plain = rests_on_the_way(
        start=LEAVES, speed_kmh=40.0, route_km=500.0, rest_kms=[200.0, 420.0], day=DAY
    )
    held = rests_on_the_way(
        start=LEAVES,
        speed_kmh=40.0,
        route_km=500.0,
        rest_kms=[200.0, 420.0],
        day=DAY,
        stops=[Stop(at_km=100.0, minutes=60.0)],
    )
    assert [r.at_km for r in plain] == [420.0]  # reached at 20:30: he pushes on to it
    assert [r.at_km for r in held] == [200.0]  # an hour later he would reach it at 21:30


def test_a_driver_only_a_little_early_goes_straight_to_the_port() -> None:
    rests = rests_on_the_way(
        start=LEAVES,
        speed_kmh=40.0,
        route_km=300.0,
        rest_kms=[280.0],
        day=DAY,
        aim=LEAVES + timedelta(hours=7, minutes=20),  # arrives 17:30, twenty minutes early
    )
    assert rests == []


def test_a_wait_that_would_end_before_dawn_ends_at_the_start_of_the_driving_day() -> None:
    rests = rests_on_the_way(
        start=LEAVES,
        speed_kmh=40.0,
        route_km=300.0,
        rest_kms=[100.0],  # 5 hours from the port
        day=DAY,
        aim=LEAVES + timedelta(hours=24),  # 10:00 next day: he would leave at 05:00
    )
    (wait,) = rests
    left = LEAVES + timedelta(hours=2.5) + timedelta(minutes=wait.minutes)
    assert beijing(left) == "Tue 08:00"


def test_a_driving_day_knows_when_it_ends_and_starts() -> None:
    late = datetime(2026, 3, 2, 23, 30, tzinfo=BEIJING)
    early = datetime(2026, 3, 3, 6, 0, tzinfo=BEIJING)
    assert beijing(DAY.end_of(late)) == "Mon 20:00"  # past dusk: the day is over
    assert beijing(DAY.end_of(early)) == "Tue 20:00"  # before dawn: he drives that day
    assert beijing(DAY.next_start(late)) == "Tue 08:00"
    assert beijing(DAY.next_start(early)) == "Tue 08:00"
    noon = datetime(2026, 3, 3, 12, 0, tzinfo=BEIJING)
    drive = timedelta(hours=2)
    assert beijing(DAY.leave_for(noon, drive)) == "Tue 10:00"
    assert beijing(DAY.leave_for(early, drive)) == "Tue 08:00"  # not before dawn
    assert beijing(DAY.leave_for(late, drive)) == "Mon 18:00"  # there by dusk


def test_a_driver_who_leaves_before_dawn_drives_that_day_and_one_after_dusk_stops_soon() -> None:
    dawn = datetime(2026, 3, 3, 6, 0, tzinfo=BEIJING)
    (night,) = rests_on_the_way(
        start=dawn, speed_kmh=40.0, route_km=700.0, rest_kms=[120.0, 500.0], day=DAY
    )
    assert night.at_km == 500.0  # reached at 18:30: not a day's sleep at the first town
    dusk = datetime(2026, 3, 3, 21, 0, tzinfo=BEIJING)
    (night,) = rests_on_the_way(
        start=dusk, speed_kmh=40.0, route_km=300.0, rest_kms=[120.0, 200.0], day=DAY
    )
    assert night.at_km == 120.0  # the first rest stop after dark, then on at 08:00
    assert night.minutes == pytest.approx((24 + 8 - 21 - 3) * 60)


def test_a_driver_pushes_on_a_little_after_dark_rather_than_stop_hours_early() -> None:
    (night,) = rests_on_the_way(
        start=LEAVES, speed_kmh=40.0, route_km=500.0, rest_kms=[200.0, 405.0], day=DAY
    )
    assert night.at_km == 405.0  # reached at 20:07, not km 200 at 15:00


def test_an_opening_after_dark_is_met_by_dusk_and_the_driver_waits_at_the_port() -> None:
    (wait,) = rests_on_the_way(
        start=LEAVES,
        speed_kmh=40.0,
        route_km=300.0,
        rest_kms=[280.0],
        day=DAY,
        aim=LEAVES + timedelta(days=1, hours=11),  # 21:00 the next day
    )
    left = LEAVES + timedelta(hours=7) + timedelta(minutes=wait.minutes)
    assert beijing(left) == "Tue 19:30"  # at the port by dusk, 20:00


def test_a_night_at_the_last_rest_stop_runs_on_into_the_wait_for_the_opening() -> None:
    (stay,) = rests_on_the_way(
        start=LEAVES, speed_kmh=40.0, route_km=500.0, rest_kms=[390.0], day=DAY, aim=AIM
    )
    assert stay.at_km == 390.0
    reached = LEAVES + timedelta(hours=390 / 40)  # Mon 19:45
    left = reached + timedelta(minutes=stay.minutes)
    assert beijing(left) == "Wed 08:00"  # one stop: the night, the day and the night after
