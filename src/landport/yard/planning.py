"""Departures of the yard's parked trucks against the border calendars, persisted on visits.

`plan_parked` plans every parked, sealed truck without a departure, and re-plans scheduled
trucks whose arrival day a closure now covers; trucks already planned or on the road keep
their place and book their port's capacity. `departure_refusals` checks a departure an
operator chose by hand with the same rules, and names every reason it is refused.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from landport.seals.calendar import BEIJING, PortCalendar
from landport.shared.clock import beijing_date
from landport.shared.errors import Violation
from landport.yard.departures import (
    DeparturePlan,
    ParkedTruck,
    PortClosure,
    RouteLeg,
    plan_departures,
    with_closure,
)
from landport.yard.model import DepartureRules
from landport.yard.ports import DepartureSlot, VisitStore, YardVisit
from landport.yard.visits import VisitStatus

V = VisitStatus
_ROAD_DAYS_BACK = timedelta(days=7)  # trucks on the road still book their arrival day


def calendars_with(
    base: Mapping[str, PortCalendar], closures: Sequence[PortClosure]
) -> dict[str, PortCalendar]:
    """The published calendars plus the closures the operator added since."""
    calendars = dict(base)
    for closure in closures:
        known = calendars.get(closure.port_id)
        if known is not None and closure.closure not in known.closures:
            calendars = with_closure(calendars, closure)
    return calendars


def arrival_day(departure: datetime, leg: RouteLeg) -> date:
    return beijing_date(departure + timedelta(hours=leg.typical_hours))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A parked or scheduled visit with the border port its declaration exits by."""

    visit: YardVisit
    port: str


#: Trucks booked to leave for each (exit port, departure time).
Booked = Counter[tuple[str, datetime]]


def booked_days(booked: Booked, routes: Mapping[str, RouteLeg]) -> Counter[tuple[str, date]]:
    """Trucks due at each (port, Beijing day), from their departure times (planned
    departures share times: each (port, time) is converted once)."""
    days: Counter[tuple[str, date]] = Counter()
    for (port, at), n in booked.items():
        if port in routes:
            days[(port, arrival_day(at, routes[port]))] += n
    return days


def ready_at(yv: YardVisit) -> datetime:
    """When the truck was parked (sealed and in its slot)."""
    parked = [s.at for s in yv.visit.history if s.status is V.PARKED]
    return parked[-1] if parked else yv.visit.updated_at


def to_replan(
    slot: DepartureSlot,
    port: str,
    calendars: Mapping[str, PortCalendar],
    routes: Mapping[str, RouteLeg],
) -> bool:
    """A parked truck without a plan, or a scheduled one (still in the yard) now due on a
    closed day."""
    if slot.status is V.PARKED or slot.departure_at is None:
        return True
    leg, calendar = routes.get(port), calendars.get(port)
    if leg is None or calendar is None:
        return False  # still in the yard: a departure time in the past has not happened
    return calendar.closure_on(arrival_day(slot.departure_at, leg)) is not None


def plan_for(
    candidates: Sequence[Candidate],
    others: Booked,
    *,
    calendars: Mapping[str, PortCalendar],
    routes: Mapping[str, RouteLeg],
    rules: DepartureRules,
    now: datetime,
    note: tuple[str, str] = ("", ""),
) -> list[DeparturePlan]:
    """Plans for the candidates, leaving room for `others` (planned or on the road)."""
    trucks = [
        ParkedTruck(c.visit.visit.id, c.port, ready_at(c.visit), c.visit.slot_id)
        for c in candidates
    ]
    return plan_departures(
        trucks,
        calendars,
        routes,
        now=now,
        daily_capacity=rules.daily_truck_capacity,
        rules=rules,
        booked=booked_days(others, routes),
        leaving=_by_time(others),
        note=note,
    )


def _by_time(booked: Booked) -> Counter[datetime]:
    """The departures already planned at each time, whatever their port: one exit gate."""
    leaving: Counter[datetime] = Counter()
    for (_port, at), n in booked.items():
        leaving[at] += n
    return leaving


def plan_record(plan: DeparturePlan) -> str:
    """What the departure step keeps of the plan (the visit view shows it to the driver)."""
    return json.dumps(
        {
            "port": plan.port_id,
            "route_id": plan.route_id,
            "expected_arrival": plan.arrival.expected.isoformat(),
            "arrival_not_after": plan.arrival.end.isoformat(),
            "reason_en": plan.reason_en,
            "reason_zh": plan.reason_zh,
        },
        ensure_ascii=False,
    )


def departure_refusals(
    at: datetime,
    port: str | None,
    *,
    calendars: Mapping[str, PortCalendar],
    routes: Mapping[str, RouteLeg],
    rules: DepartureRules,
    booked: Counter[tuple[str, date]],
) -> list[Violation]:
    """Every reason a hand-picked departure breaks the departure rules; empty when it fits."""
    found: list[Violation] = []
    local = at.astimezone(BEIJING)
    if not rules.earliest <= local.time() <= rules.latest:
        window = f"{rules.earliest:%H:%M}-{rules.latest:%H:%M}"
        found.append(
            Violation(
                "at",
                "outside_departure_window",
                f"departures leave between {window} Beijing time; {local:%H:%M} is outside",
                f"发车时间须在北京时间 {window} 之间，{local:%H:%M} 不在此范围",
            )
        )
    leg = routes.get(port or "")
    calendar = calendars.get(port or "")
    capacity = rules.daily_truck_capacity.get(port or "")
    if leg is None or calendar is None or capacity is None:
        found.append(
            Violation(
                "declaration.exit_port",
                "no_departure_data",
                f"exit port {port} has no route, calendar or daily capacity",
                f"出境口岸 {port} 缺少路线、开放时间或每日通行能力数据",
            )
        )
        return found
    arrive = at + timedelta(hours=leg.typical_hours)
    day = beijing_date(arrive)
    closure = calendar.closure_on(day)
    if closure is not None:
        found.append(
            Violation(
                "at",
                "port_closed",
                f"the truck would arrive {arrive.astimezone(BEIJING):%Y-%m-%d %H:%M} Beijing "
                f"while {port} is closed {closure.start} to {closure.end} ({closure.reason})",
                f"车辆将于北京时间 {arrive.astimezone(BEIJING):%Y-%m-%d %H:%M} 到达，"
                f"{port} 于 {closure.start} 至 {closure.end} 关闭（{closure.reason}）",
            )
        )
    elif not any(arrive.astimezone(BEIJING).time() < closes for _opens, closes in calendar.hours):
        hours = ", ".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in calendar.hours)
        found.append(
            Violation(
                "at",
                "arrives_after_hours",
                f"the truck would reach {port} at {arrive.astimezone(BEIJING):%H:%M} Beijing, "
                f"after its hours ({hours})",
                f"车辆将于北京时间 {arrive.astimezone(BEIJING):%H:%M} 到达 {port}，"
                f"已过开放时间（{hours}）",
            )
        )
    if booked[(port or "", day)] >= capacity:
        found.append(
            Violation(
                "at",
                "port_full",
                f"{port} already expects {capacity} trucks on {day} (its daily capacity)",
                f"{port} 在 {day} 已预计到达 {capacity} 辆车（每日通行能力）",
            )
        )
    return found


def departing(
    store: VisitStore,
    now: datetime,
    routes: Mapping[str, RouteLeg],
    *,
    excluding: Collection[str] = (),
) -> Booked:
    """Trucks that book border capacity from today on, but the visits `excluding` (being
    planned again): a plan never picks a past day, so a truck counts while it can still
    arrive today (Beijing), i.e. it left at most the longest road time before today began (a
    week when no road is known)."""
    today = datetime.combine(beijing_date(now), time(0), BEIJING)
    longest = max((leg.typical_hours for leg in routes.values()), default=None)
    reach = _ROAD_DAYS_BACK if longest is None else timedelta(hours=longest)
    return store.booked_since(today - reach, excluding)


def plan_view(plan: DeparturePlan, previous: datetime | None) -> dict[str, Any]:
    """One line of the answer to the operator: who leaves when, and what moved."""
    return {
        "visit_id": plan.truck.truck_id,
        "previous_departure_at": previous.isoformat() if previous else None,
        **plan.as_dict(),
    }


__all__ = [
    "Candidate",
    "arrival_day",
    "booked_days",
    "calendars_with",
    "departing",
    "departure_refusals",
    "plan_for",
    "plan_record",
    "plan_view",
    "to_replan",
]
