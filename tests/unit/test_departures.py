"""Sealed trucks leave in the morning and reach their border port while it is open."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from landport.seals.calendar import BEIJING, Closure, PortCalendar, arrival_window, parse_calendars
from landport.shared.errors import InvalidInput
from landport.yard.departures import (
    DeparturePlan,
    ParkedTruck,
    PortClosure,
    RouteLeg,
    plan_departures,
    replan_on_closure,
    routes_from_geojson,
)
from landport.yard.model import DepartureRules, yard_from_document
from landport.yard.planning import departing

DATA = Path(__file__).resolve().parents[2] / "src" / "landport" / "data"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # 20:00 Beijing: parked for the night
CAPACITY = {"gyirong-port": 150, "zhangmu-port": 80, "lizi-port": 40}


@pytest.fixture(scope="module")
def calendars() -> dict[str, PortCalendar]:
    return parse_calendars(json.loads((DATA / "port_calendars.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def routes() -> dict[str, RouteLeg]:
    return routes_from_geojson(json.loads((DATA / "routes.geojson").read_text(encoding="utf-8")))


def without_closures(calendars: dict[str, PortCalendar]) -> dict[str, PortCalendar]:
    return {p: replace(c, closures=()) for p, c in calendars.items()}


def inside_opening(plan: DeparturePlan, calendar: PortCalendar) -> bool:
    local = plan.expected_arrival_beijing
    return calendar.closure_on(local.date()) is None and any(
        o <= local.time() < c for o, c in calendar.hours
    )


def in_the_morning(plan: DeparturePlan) -> bool:
    return time(6, 0) <= plan.departure_beijing.time() <= time(12, 0)


def test_routes_carry_road_km_and_typical_hours(routes: dict[str, RouteLeg]) -> None:
    assert routes["gyirong-port"] == RouteLeg("shigatse-gyirong", "gyirong-port", 564.0, 48.0)
    assert routes["lizi-port"].road_km == 720.0


def test_a_truck_parked_in_the_evening_leaves_next_morning_and_arrives_inside_hours(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    [plan] = plan_departures(
        [ParkedTruck("T1", "gyirong-port")], calendars, routes, now=NOW, daily_capacity=CAPACITY
    )
    assert plan.departure_beijing.date() == date(2025, 6, 2)
    assert in_the_morning(plan)
    assert inside_opening(plan, calendars["gyirong-port"])
    assert plan.departure.tzinfo is UTC
    assert "Beijing" in plan.reason_en and "UTC" in plan.reason_en and "发车" in plan.reason_zh


def test_the_plan_agrees_with_the_seal_arrival_window(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    [plan] = plan_departures(
        [ParkedTruck("T1", "zhangmu-port")], calendars, routes, now=NOW, daily_capacity=CAPACITY
    )
    leg = routes["zhangmu-port"]
    window = arrival_window(
        departure=plan.departure,
        road_km=leg.road_km,
        typical_hours=leg.typical_hours,
        calendar=calendars["zhangmu-port"],
    )
    assert (plan.arrival.start, plan.arrival.expected, plan.arrival.end) == (
        window.start,
        window.expected,
        window.end,
    )


def test_a_short_trip_still_leaves_no_earlier_than_six_and_arrives_inside_hours(
    calendars: dict[str, PortCalendar],
) -> None:
    quick = {"lizi-port": RouteLeg("shigatse-lizi", "lizi-port", 720.0, 30.0)}
    [plan] = plan_departures(
        [ParkedTruck("T1", "lizi-port")], calendars, quick, now=NOW, daily_capacity=CAPACITY
    )
    assert plan.departure_beijing.time() == time(6, 0)
    assert inside_opening(plan, calendars["lizi-port"])


def test_capacity_spills_to_the_next_open_day(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    trucks = [ParkedTruck(f"T{i}", "lizi-port", NOW + timedelta(minutes=i)) for i in range(5)]
    plans = plan_departures(trucks, calendars, routes, now=NOW, daily_capacity={"lizi-port": 2})
    per_day = Counter(p.arrival_day for p in plans)
    assert sorted(per_day.values()) == [1, 2, 2]
    last = max(plans, key=lambda p: p.arrival_day)
    assert last.truck.truck_id == "T4"  # first ready, first served
    assert "spilled" in last.reason_en and "顺延" in last.reason_zh


def test_closed_days_are_skipped(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    now = datetime(2025, 7, 4, 12, 0, tzinfo=UTC)  # Gyirong closes 2025-07-08 after the flood
    plans = plan_departures(
        [ParkedTruck(f"T{i}", "gyirong-port") for i in range(3)],
        calendars,
        routes,
        now=now,
        daily_capacity={"gyirong-port": 1},
    )
    days = sorted(p.arrival_day for p in plans)
    assert days == [date(2025, 7, 7), date(2026, 1, 1), date(2026, 1, 2)]
    last = max(plans, key=lambda p: p.arrival_day)
    assert "flood" in last.reason_en and "关闭" in last.reason_zh
    assert all(inside_opening(p, calendars["gyirong-port"]) for p in plans)


def test_gyirongs_2025_flood_closure_moves_the_plans(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    before = without_closures(calendars)
    now = datetime(2025, 7, 3, 12, 0, tzinfo=UTC)
    trucks = [ParkedTruck(f"G{i}", "gyirong-port") for i in range(4)] + [
        ParkedTruck("Z1", "zhangmu-port")
    ]
    capacity = {"gyirong-port": 1, "zhangmu-port": 10}
    plans = plan_departures(trucks, before, routes, now=now, daily_capacity=capacity)
    assert any(p.arrival_day >= date(2025, 7, 8) for p in plans if p.port_id == "gyirong-port")

    flood = next(c for c in calendars["gyirong-port"].closures if c.start == date(2025, 7, 8))
    moved = replan_on_closure(
        plans,
        PortClosure("gyirong-port", flood),
        calendars=before,
        routes=routes,
        now=now,
        daily_capacity=capacity,
    )
    gyirong = [p for p in moved if p.port_id == "gyirong-port"]
    assert len(moved) == len(plans)
    assert all(not flood.covers(p.arrival_day) for p in gyirong)
    assert Counter(p.arrival_day for p in gyirong)[date(2026, 1, 1)] == 1
    assert all(p.arrival_day <= date(2026, 1, 3) for p in gyirong)
    shifted = [p for p in gyirong if p.arrival_day >= date(2026, 1, 1)]
    assert shifted and all("moved" in p.reason_en and "已调整" in p.reason_zh for p in shifted)
    kept = {p.truck.truck_id: p for p in plans if not flood.covers(p.arrival_day)}
    assert all(p == kept[p.truck.truck_id] for p in moved if p.truck.truck_id in kept)
    assert all(in_the_morning(p) for p in moved)


def test_trucks_already_on_the_road_keep_their_plan(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    before = without_closures(calendars)
    plans = plan_departures(
        [ParkedTruck("G1", "gyirong-port")], before, routes, now=NOW, daily_capacity=CAPACITY
    )
    closure = PortClosure("gyirong-port", Closure(plans[0].arrival_day, date(2025, 6, 30), "snow"))
    later = plans[0].departure + timedelta(hours=1)
    assert (
        replan_on_closure(
            plans, closure, calendars=before, routes=routes, now=later, daily_capacity=CAPACITY
        )
        == plans
    )


def test_an_unknown_exit_port_is_refused_in_both_languages(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan_departures(
            [ParkedTruck("T1", "kathmandu")], calendars, routes, now=NOW, daily_capacity=CAPACITY
        )
    assert {v.code for v in caught.value.violations} == {"no_calendar", "no_route", "no_capacity"}
    assert all(v.field == "trucks[0].exit_port" for v in caught.value.violations)


def test_three_hundred_trucks_are_planned_within_every_rule(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    ports = sorted(CAPACITY)
    trucks = [
        ParkedTruck(f"T{i:03d}", ports[i % 3], NOW + timedelta(minutes=i)) for i in range(300)
    ]
    plans = plan_departures(trucks, calendars, routes, now=NOW, daily_capacity=CAPACITY)
    assert sorted(p.truck.truck_id for p in plans) == sorted(t.truck_id for t in trucks)
    per_port_day = Counter((p.port_id, p.arrival_day) for p in plans)
    assert all(n <= CAPACITY[port] for (port, _), n in per_port_day.items())
    assert all(in_the_morning(p) and p.departure >= NOW for p in plans)
    assert all(inside_opening(p, calendars[p.port_id]) for p in plans)
    assert [(p.departure, p.truck.truck_id) for p in plans] == sorted(
        (p.departure, p.truck.truck_id) for p in plans
    )
    assert all(p.departure_beijing.tzinfo is BEIJING for p in plans)


def test_the_exit_gate_lets_one_truck_out_a_turn_not_a_port_at_once(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    """Forty trucks bound for one port the same morning leave one exit turn apart, around
    the ideal time, inside the morning window and each still arriving in an opening."""
    trucks = [ParkedTruck(f"G{i:02d}", "gyirong-port", NOW) for i in range(40)]
    for every in (1.0, 2.5):
        rules = DepartureRules(exit_every_minutes=every, daily_truck_capacity=CAPACITY)
        plans = plan_departures(
            trucks, calendars, routes, now=NOW, daily_capacity=CAPACITY, rules=rules
        )
        times = sorted(p.departure for p in plans)
        gaps = {b - a for a, b in pairwise(times)}
        assert gaps == {timedelta(minutes=every)}
        assert all(in_the_morning(p) and inside_opening(p, calendars[p.port_id]) for p in plans)
    # departures planned before keep their turns: the new ones go around them
    taken = {times[0]: 1, times[1]: 1}
    again = plan_departures(
        trucks[:2], calendars, routes, now=NOW, daily_capacity=CAPACITY, rules=rules, leaving=taken
    )
    assert not {p.departure for p in again} & set(taken)


def test_the_nights_trucks_leave_the_later_turns_to_the_trucks_parked_that_morning(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    """120 trucks parked overnight take the turns up to the ideal 10:00, latest first; a
    truck sealed and parked at 10:30 that morning still leaves that morning, instead of
    holding its slot another night."""
    free = without_closures(calendars)
    night = [ParkedTruck(f"N{i:03d}", "gyirong-port", NOW) for i in range(120)]
    plans = plan_departures(night, free, routes, now=NOW, daily_capacity=CAPACITY)
    ideal = datetime(2025, 6, 2, 10, 0, tzinfo=BEIJING)
    assert max(p.departure for p in plans) == ideal
    assert min(p.departure for p in plans) == ideal - timedelta(minutes=119)
    late = datetime(2025, 6, 2, 10, 30, tzinfo=BEIJING)
    (morning,) = plan_departures(
        [ParkedTruck("M001", "gyirong-port", late)],
        free,
        routes,
        now=late,
        daily_capacity=CAPACITY,
        booked=Counter({("gyirong-port", date(2025, 6, 4)): 120}),
        leaving=Counter(p.departure for p in plans),
    )
    assert morning.departure == late  # the first free turn after the night's trucks


def test_a_full_morning_at_the_gate_sends_the_rest_to_the_next_morning(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    """Trucks ready at 11:30 have half an hour of the window left: thirty leave one a
    minute, the others the next morning, never several at the same minute."""
    ready = datetime(2025, 6, 2, 11, 30, tzinfo=BEIJING)
    trucks = [ParkedTruck(f"L{i:03d}", "gyirong-port", ready) for i in range(100)]
    plans = plan_departures(
        trucks, without_closures(calendars), routes, now=ready, daily_capacity=CAPACITY
    )
    per_minute = Counter(p.departure for p in plans)
    assert max(per_minute.values()) == 1
    assert all(in_the_morning(p) and p.departure >= ready for p in plans)
    by_day = Counter(p.departure_beijing.date() for p in plans)
    assert by_day[date(2025, 6, 2)] == 31  # 11:30 to 12:00, both ends
    assert all(inside_opening(p, calendars[p.port_id]) for p in plans)
    spilled = next(p for p in plans if p.departure_beijing.date() > date(2025, 6, 2))
    assert "exit gate" in spilled.reason_en and "出口闸" in spilled.reason_zh


def test_a_short_opening_takes_earlier_turns_before_spilling_a_day(
    routes: dict[str, RouteLeg],
) -> None:
    """A port open only 10:00-10:30: the trucks take the turns before the ideal one (they
    wait a little at the border) rather than miss the opening while the gate is free."""
    short = {"gyirong-port": PortCalendar("gyirong-port", ((time(10, 0), time(10, 30)),))}
    trucks = [ParkedTruck(f"S{i:03d}", "gyirong-port", NOW) for i in range(100)]
    plans = plan_departures(trucks, short, routes, now=NOW, daily_capacity={"gyirong-port": 150})
    assert len({p.arrival_day for p in plans}) == 1  # none spilled while turns were free
    assert max(Counter(p.departure for p in plans).values()) == 1
    assert all(inside_opening(p, short["gyirong-port"]) for p in plans)


def test_turns_that_do_not_divide_the_day_still_keep_their_distance(
    calendars: dict[str, PortCalendar], routes: dict[str, RouteLeg]
) -> None:
    rules = DepartureRules(exit_every_minutes=7, daily_truck_capacity=CAPACITY)
    trucks = [ParkedTruck(f"P{i:02d}", "gyirong-port", NOW) for i in range(30)]
    plans = plan_departures(
        trucks, without_closures(calendars), routes, now=NOW, daily_capacity=CAPACITY, rules=rules
    )
    times = sorted(p.departure for p in plans)
    assert min(b - a for a, b in pairwise(times)) >= timedelta(minutes=7)


def test_the_exit_pace_is_read_from_the_layout_and_checked() -> None:
    doc = json.loads((DATA / "yard.json").read_text(encoding="utf-8"))
    assert yard_from_document(doc).departures.exit_every_minutes == 1.0
    doc["departures"]["exit_every_minutes"] = 2
    assert yard_from_document(doc).departures.exit_every_minutes == 2.0
    for bad in (0, 0.4, 1e-9, -1, 61, "fast", True):
        doc["departures"]["exit_every_minutes"] = bad
        with pytest.raises(InvalidInput) as refused:
            yard_from_document(doc)
        [violation] = refused.value.violations
        assert violation.field == "departures.exit_every_minutes"
        assert "间隔" in violation.message_zh


class _Departures:
    """A visit store that only answers which trucks book capacity since a time."""

    def __init__(self) -> None:
        self.asked: list[tuple[datetime, list[str]]] = []

    def booked_since(
        self, after: datetime, excluding: Collection[str] = ()
    ) -> Counter[tuple[str, datetime]]:
        self.asked.append((after, sorted(excluding)))
        return Counter()


def test_capacity_is_booked_by_trucks_that_can_still_arrive_today() -> None:
    now = datetime(2026, 5, 4, 10, 30, tzinfo=BEIJING)
    legs = {
        "gyirong-port": RouteLeg("shigatse-gyirong", "gyirong-port", 480.0, 11.0),
        "lizi-port": RouteLeg("shigatse-lizi", "lizi-port", 700.0, 20.0),
    }
    store = _Departures()
    departing(store, now, legs, excluding={"V-2", "V-1"})  # type: ignore[arg-type]
    departing(store, now, {})  # type: ignore[arg-type]
    midnight = datetime(2026, 5, 4, 0, 0, tzinfo=BEIJING)
    assert store.asked == [
        (midnight - timedelta(hours=20), ["V-1", "V-2"]),
        (midnight - timedelta(days=7), []),
    ]
