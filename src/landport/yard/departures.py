"""Departure planning: when each parked, sealed truck leaves so it reaches its border port open.

Rules (why in brackets):

- drivers rest at night: a truck leaves only inside the morning window, 06:00-12:00 Beijing
  time by default (`DepartureRules`), never before it is ready [passes above 5,000 m are
  driven in daylight; the yard's exit gate opens at 06:00];
- the departure is aimed at the first opening of the arrival day (opening - typical trip
  hours), clamped into the morning window, so the truck waits as little as possible at the
  border; the expected arrival always lies inside an opening interval of the port;
- each border port clears at most `daily_capacity[port]` trucks per Beijing day: later trucks
  (in order of readiness, then truck id) spill to the next open day; closed days are skipped;
- `replan_on_closure` moves the not-yet-departed trucks whose arrival day a new closure covers;
  trucks already on the road keep their plan (the trip monitor and border handle them).

The departure is chosen from per-day openings cached for the run, so 300 trucks plan in
milliseconds; its arrival window is the seal's own, `seals.calendar.arrival_window`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from typing import Any

from landport.seals.calendar import (
    BEIJING,
    ArrivalWindow,
    Closure,
    PortCalendar,
    arrival_window,
)
from landport.shared.clock import beijing_date
from landport.shared.errors import Conflict, InvalidInput, Violation
from landport.yard.model import DepartureRules

FASTEST_KMH = 60.0
#: The shortest exit turn a layout may set (30 s): shorter is no gate.
MIN_EXIT_MINUTES = 0.5
#: A port's opening intervals of one day (UTC).
Intervals = tuple[tuple[datetime, datetime], ...]
SLACK_HOURS = 12.0
HORIZON_DAYS = 400


@dataclass(frozen=True, slots=True)
class RouteLeg:
    """The road from the yard to one border port, as routes.geojson carries it."""

    route_id: str
    port_id: str
    road_km: float
    typical_hours: float


def routes_from_geojson(doc: Mapping[str, Any]) -> dict[str, RouteLeg]:
    """Legs keyed by destination port, from the features' properties."""
    legs: dict[str, RouteLeg] = {}
    for feature in doc.get("features", []):
        p = feature.get("properties", {})
        hours = float(p.get("typical_hours", float(p.get("typical_truck_days", 2.0)) * 24))
        legs[str(p["to"])] = RouteLeg(str(p["route_id"]), str(p["to"]), float(p["road_km"]), hours)
    return legs


@dataclass(frozen=True, slots=True)
class ParkedTruck:
    truck_id: str
    exit_port: str
    ready_at: datetime | None = None  # sealed and parked; None = ready now
    slot_id: str | None = None


@dataclass(frozen=True, slots=True)
class PortClosure:
    """A closure announced for one border port."""

    port_id: str
    closure: Closure


@dataclass(frozen=True, slots=True)
class DeparturePlan:
    truck: ParkedTruck
    route_id: str
    departure: datetime  # UTC
    arrival: ArrivalWindow
    arrival_day: date  # Beijing date of the expected arrival
    reason_en: str
    reason_zh: str

    @property
    def port_id(self) -> str:
        return self.truck.exit_port

    @property
    def departure_beijing(self) -> datetime:
        return self.departure.astimezone(BEIJING)

    @property
    def expected_arrival_beijing(self) -> datetime:
        return self.arrival.expected.astimezone(BEIJING)

    def as_dict(self) -> dict[str, str]:
        return {
            "truck_id": self.truck.truck_id,
            "port": self.port_id,
            "route_id": self.route_id,
            "departure_utc": self.departure.isoformat(),
            "departure_beijing": self.departure_beijing.isoformat(),
            "expected_arrival_utc": self.arrival.expected.isoformat(),
            "expected_arrival_beijing": self.expected_arrival_beijing.isoformat(),
            "arrival_not_after_utc": self.arrival.end.isoformat(),
            "reason_en": self.reason_en,
            "reason_zh": self.reason_zh,
        }


def _fmt(moment: datetime) -> str:
    return f"{moment.astimezone(BEIJING):%Y-%m-%d %H:%M}"


class _Planner:
    """One planning run: cached day openings and the capacity already booked per port-day."""

    def __init__(
        self,
        calendars: Mapping[str, PortCalendar],
        routes: Mapping[str, RouteLeg],
        capacity: Mapping[str, int],
        rules: DepartureRules,
        booked: Counter[tuple[str, date]],
        leaving: Mapping[datetime, int] | None = None,
    ) -> None:
        self.calendars, self.routes, self.capacity = calendars, routes, capacity
        self.rules, self.booked = rules, booked
        self._days: dict[tuple[str, date], Intervals] = {}
        self._every = timedelta(minutes=max(rules.exit_every_minutes, MIN_EXIT_MINUTES))
        # departures already planned, by exit turn (see `exit_turn`)
        self.exits: Counter[datetime] = Counter()
        for at, n in (leaving or {}).items():
            self.exits[self.exit_turn(at)] += n

    def exit_turn(self, at: datetime) -> datetime:
        """The exit gate's turn a departure falls in: turns of `exit_every_minutes` from
        midnight Beijing time, so one morning window is one run of turns (in UTC)."""
        local = at.astimezone(BEIJING)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return (day + self._every * ((local - day) // self._every)).astimezone(UTC)

    def free_exit(
        self, target: datetime, earliest: datetime, fits: Callable[[datetime], bool]
    ) -> datetime | None:
        """The free exit turn inside `target`'s morning window, not before `earliest`, for
        which `fits` (the arrival still lands in the same opening day): the latest at or
        before `target`, else the earliest after it; None when every such turn is taken.

        Earlier turns first: a truck that leaves before its ideal time waits for the opening
        at the border's last rest stop, while every turn taken after the ideal one is a turn
        a truck parked that same morning can no longer have. Trucks planned the evening
        before then leave from the ideal time backwards, freeing their slots early, and the
        turns after it stay for the morning's own trucks (nearest-first took both sides, and
        a truck parked at 10:30 found the morning full and slept in the yard another night).
        """
        lo, hi = morning_window(self.rules, beijing_date(target))
        lo = max(lo, earliest)
        start = self.exit_turn(target)
        before = int((start - lo) / self._every) + 1
        after = int((hi - start) / self._every) + 1
        for k in chain(range(0, -before - 1, -1), range(1, after + 1)):
            turn: datetime = start + self._every * k
            if lo <= turn <= hi and self.exits[turn] == 0 and fits(turn):
                return turn
        return None

    def openings(self, port: str, day: date) -> Intervals:
        key = (port, day)
        cached = self._days.get(key)
        if cached is None:
            cal = self.calendars[port]
            cached = (
                ()
                if cal.closure_on(day)
                else tuple(
                    (
                        datetime.combine(day, o, BEIJING).astimezone(UTC),
                        datetime.combine(day, c, BEIJING).astimezone(UTC),
                    )
                    for o, c in cal.hours
                )
            )
            self._days[key] = cached
        return cached

    def earliest(self, ready: datetime) -> datetime:
        local = ready.astimezone(BEIJING)
        if self.rules.earliest <= local.time() <= self.rules.latest:
            return ready.astimezone(UTC)
        day = local.date() + timedelta(days=0 if local.time() < self.rules.earliest else 1)
        return datetime.combine(day, self.rules.earliest, BEIJING).astimezone(UTC)

    def morning_clamp(self, target: datetime) -> datetime:
        day = beijing_date(target)
        lo = datetime.combine(day, self.rules.earliest, BEIJING).astimezone(UTC)
        hi = datetime.combine(day, self.rules.latest, BEIJING).astimezone(UTC)
        return min(max(target, lo), hi)

    def plan(
        self, truck: ParkedTruck, now: datetime, note: tuple[str, str] = ("", "")
    ) -> DeparturePlan:
        port, leg = truck.exit_port, self.routes[truck.exit_port]
        cap = self.capacity[port]
        typical = timedelta(hours=leg.typical_hours)
        earliest = self.earliest(max(now, truck.ready_at or now))
        first_day = beijing_date(earliest + typical)
        full_days: list[date] = []
        gate_full: list[date] = []
        closed: dict[str, Closure] = {}
        for offset in range(HORIZON_DAYS):
            day = first_day + timedelta(days=offset)
            intervals = self.openings(port, day)
            if not intervals:
                closure = self.calendars[port].closure_on(day)
                if closure:
                    closed.setdefault(closure.reason, closure)
                continue
            if self.booked[(port, day)] >= cap:
                full_days.append(day)
                continue
            ideal = max(self.morning_clamp(intervals[0][0] - typical), earliest)
            counted = beijing_date(ideal + typical)  # the day later runs book it on

            def fits(turn: datetime, hours: Intervals = intervals, on: date = counted) -> bool:
                arrive = turn + typical
                return beijing_date(arrive) == on and any(e > arrive for _, e in hours)

            departure = self.free_exit(ideal, earliest, fits) if fits(ideal) else ideal
            if departure is None:
                gate_full.append(beijing_date(ideal))
                continue
            arrive = departure + typical
            opening = next(((b, e) for b, e in intervals if e > arrive), None)
            if opening is None:
                continue  # leaving at the earliest still misses this day's hours
            self.booked[(port, day)] += 1
            self.exits[self.exit_turn(departure)] += 1
            expected = max(arrive, opening[0])
            return self._plan(
                truck, leg, departure, expected, opening, day, full_days, closed, note, gate_full
            )
        raise Conflict(
            f"{port} has no free opening in the next {HORIZON_DAYS} days for {truck.truck_id}",
            f"{port} 口岸未来 {HORIZON_DAYS} 天内没有可用的通关时段（{truck.truck_id}）",
        )

    def _plan(
        self,
        truck: ParkedTruck,
        leg: RouteLeg,
        departure: datetime,
        expected: datetime,
        opening: tuple[datetime, datetime],
        day: date,
        full_days: Sequence[date],
        closed: Mapping[str, Closure],
        note: tuple[str, str],
        gate_full: Sequence[date] = (),
    ) -> DeparturePlan:
        window = arrival_window(
            departure=departure,
            road_km=leg.road_km,
            typical_hours=leg.typical_hours,
            calendar=self.calendars[leg.port_id],
            fastest_kmh=FASTEST_KMH,
            slack_hours=SLACK_HOURS,
        )
        o, c = (f"{t.astimezone(BEIJING):%H:%M}" for t in opening)
        wait = (expected - departure - timedelta(hours=leg.typical_hours)).total_seconds() / 3600
        en = [
            f"leave {_fmt(departure)} Beijing ({departure:%Y-%m-%d %H:%M} UTC), morning departure "
            f"{self.rules.earliest:%H:%M}-{self.rules.latest:%H:%M}",
            f"{leg.road_km:.0f} km, typically {leg.typical_hours:.0f} h",
            f"arrive {_fmt(expected)} inside {leg.port_id} hours {o}-{c}",
        ]
        zh = [
            f"北京时间 {_fmt(departure)} 发车（UTC {departure:%Y-%m-%d %H:%M}），"
            f"早间发车时段 {self.rules.earliest:%H:%M}-{self.rules.latest:%H:%M}",
            f"路程 {leg.road_km:.0f} 公里，通常需 {leg.typical_hours:.0f} 小时",
            f"预计 {_fmt(expected)} 到达，在 {leg.port_id} 开放时间 {o}-{c} 内",
        ]
        if wait > 0.01:
            en.append(f"waits {wait:.1f} h at the border for the opening")
            zh.append(f"在口岸等候开放 {wait:.1f} 小时")
        if full_days:
            en.append(
                f"{leg.port_id} full on {len(full_days)} earlier day(s) "
                f"from {full_days[0]}: spilled to {day}"
            )
            zh.append(
                f"{leg.port_id} 此前 {len(full_days)} 天（自 {full_days[0]} 起）已满，顺延至 {day}"
            )
        if gate_full:
            en.append(f"the exit gate's morning turns were all taken on {gate_full[0]}")
            zh.append(f"{gate_full[0]} 早间出口闸发车时段已排满")
        for closure in closed.values():
            en.append(f"{leg.port_id} closed {closure.start} to {closure.end} ({closure.reason})")
            zh.append(f"{leg.port_id} 于 {closure.start} 至 {closure.end} 关闭（{closure.reason}）")
        if note[0]:
            en.insert(0, note[0])
            zh.insert(0, note[1])
        return DeparturePlan(
            truck, leg.route_id, departure, window, day, "; ".join(en), "；".join(zh)
        )


def _check(
    trucks: Sequence[ParkedTruck],
    calendars: Mapping[str, PortCalendar],
    routes: Mapping[str, RouteLeg],
    capacity: Mapping[str, int],
    now: datetime,
) -> None:
    problems: list[Violation] = []
    if now.tzinfo is None:
        problems.append(
            Violation("now", "naive_time", "now must be timezone-aware", "now 必须带时区")
        )
    for i, truck in enumerate(trucks):
        port = truck.exit_port
        for name, table in (("calendar", calendars), ("route", routes), ("capacity", capacity)):
            if port not in table:
                problems.append(
                    Violation(
                        f"trucks[{i}].exit_port",
                        f"no_{name}",
                        f"exit port {port} has no {name}",
                        f"出境口岸 {port} 缺少{name}数据",
                    )
                )
    if problems:
        raise InvalidInput(problems)


def _ordered(trucks: Sequence[ParkedTruck], now: datetime) -> list[ParkedTruck]:
    return sorted(trucks, key=lambda t: (max(now, t.ready_at or now), t.truck_id))


def plan_departures(
    trucks: Sequence[ParkedTruck],
    calendars: Mapping[str, PortCalendar],
    routes: Mapping[str, RouteLeg],
    *,
    now: datetime,
    daily_capacity: Mapping[str, int],
    rules: DepartureRules | None = None,
    booked: Mapping[tuple[str, date], int] | None = None,
    leaving: Mapping[datetime, int] | None = None,
    note: tuple[str, str] = ("", ""),
) -> list[DeparturePlan]:
    """One plan per truck, first ready first served; sorted by departure, then truck id.

    `booked` counts the trucks already due at each (port, Beijing arrival day): trucks
    planned earlier or on the road, which the new plans must leave room for; `leaving`
    the departures already planned by time, whose exit turns the new plans leave free.
    """
    _check(trucks, calendars, routes, daily_capacity, now)
    taken: Counter[tuple[str, date]] = Counter(booked or {})
    planner = _Planner(calendars, routes, daily_capacity, rules or DepartureRules(), taken, leaving)
    plans = [planner.plan(t, now, note) for t in _ordered(trucks, now)]
    return sorted(plans, key=lambda p: (p.departure, p.truck.truck_id))


def with_closure(
    calendars: Mapping[str, PortCalendar], closure: PortClosure
) -> dict[str, PortCalendar]:
    """The calendars with the closure added to its port."""
    updated = dict(calendars)
    cal = updated[closure.port_id]
    updated[closure.port_id] = replace(cal, closures=(*cal.closures, closure.closure))
    return updated


def replan_on_closure(
    plans: Sequence[DeparturePlan],
    closure: PortClosure,
    *,
    calendars: Mapping[str, PortCalendar],
    routes: Mapping[str, RouteLeg],
    now: datetime,
    daily_capacity: Mapping[str, int],
    rules: DepartureRules | None = None,
) -> list[DeparturePlan]:
    """Move the not-yet-departed trucks arriving while the port is closed; keep the others
    (their arrival days stay booked)."""

    def affected(p: DeparturePlan) -> bool:
        return (
            p.port_id == closure.port_id
            and closure.closure.covers(p.arrival_day)
            and p.departure > now
        )

    moved = [p for p in plans if affected(p)]
    kept = [p for p in plans if not affected(p)]
    booked: Counter[tuple[str, date]] = Counter((p.port_id, p.arrival_day) for p in kept)
    updated = with_closure(calendars, closure)
    _check([p.truck for p in moved], updated, routes, daily_capacity, now)
    leaving = Counter(p.departure for p in kept)
    planner = _Planner(updated, routes, daily_capacity, rules or DepartureRules(), booked, leaving)
    c = closure.closure
    note = (
        f"moved: {closure.port_id} closed {c.start} to {c.end} ({c.reason})",
        f"已调整：{closure.port_id} 于 {c.start} 至 {c.end} 关闭（{c.reason}）",
    )
    order = sorted(moved, key=lambda p: (p.departure, p.truck.truck_id))
    replanned = [planner.plan(p.truck, now, note) for p in order]
    return sorted([*kept, *replanned], key=lambda p: (p.departure, p.truck.truck_id))


def morning_window(rules: DepartureRules, day: date) -> tuple[datetime, datetime]:
    """The departure window of a Beijing day, in UTC."""
    return (
        datetime.combine(day, rules.earliest, BEIJING).astimezone(UTC),
        datetime.combine(day, rules.latest, BEIJING).astimezone(UTC),
    )


__all__ = [
    "DeparturePlan",
    "ParkedTruck",
    "PortClosure",
    "RouteLeg",
    "morning_window",
    "plan_departures",
    "replan_on_closure",
    "routes_from_geojson",
    "with_closure",
]


#: Leaving the yard this much before the planned departure is said at the gate and kept in
#: the visit's history: the border's capacity was planned for the truck's planned day.
EARLY_LEAVE = timedelta(minutes=30)


def early_leave(planned: datetime | None, at: datetime) -> tuple[str, str] | None:
    """(English, Chinese) for a truck through the exit gate well before its planned
    departure, else None: its arrival window now counts from the gate-out."""
    if planned is None or planned - at < EARLY_LEAVE:
        return None
    hours, rest = divmod(round((planned - at).total_seconds() / 60), 60)
    local = planned.astimezone(BEIJING)
    return (
        f"left {hours} h {rest} min before its planned departure ({local:%m-%d %H:%M} "
        "Beijing time): the arrival window counts from now and the border may be busy",
        f"比计划离场时间（北京时间 {local:%m-%d %H:%M}）提前 {hours} 小时 {rest} 分钟出闸："
        "到达时限自此起算，口岸可能拥堵",
    )
