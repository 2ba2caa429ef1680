"""A closure at the border holds a sealed truck's arrival window for a day or two, never for
its whole length: a truck on the road during a six-month closure is asked about (overdue)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from json import loads
from pathlib import Path

import pytest

from landport.seals.calendar import (
    BEIJING,
    CLOSURE_HOLD,
    Closure,
    PortCalendar,
    arrival_window,
    parse_calendars,
)
from landport.yard.departures import ParkedTruck, RouteLeg, plan_departures

HOURS = ((time(10, 0), time(12, 30)), (time(13, 30), time(17, 0)))
FLOOD = Closure(date(2025, 7, 8), date(2025, 12, 31), "bridge destroyed by a flood")
LEG = RouteLeg("shigatse-gyirong", "gyirong-port", 564.0, 48.0)


def gyirong(*closures: Closure) -> PortCalendar:
    return PortCalendar("gyirong-port", HOURS, closures)


def window(calendar: PortCalendar, departure: datetime) -> tuple[datetime, tuple[str, ...]]:
    w = arrival_window(
        departure=departure, road_km=LEG.road_km, typical_hours=LEG.typical_hours, calendar=calendar
    )
    return w.end, w.reasons


def beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING).astimezone(UTC)


def test_a_truck_due_in_a_six_month_closure_is_overdue_days_later_not_months() -> None:
    departure = beijing(2025, 7, 6, 10)  # due at Gyirong on 8 July, the flood's first day
    end, reasons = window(gyirong(FLOOD), departure)
    usual, _ = window(gyirong(), departure)
    assert end == usual + CLOSURE_HOLD
    assert end.astimezone(BEIJING).date() < date(2025, 7, 15)  # not 1 January 2026
    assert any("2025-07-08 to 2025-12-31" in r and "overdue" in r for r in reasons)


def test_a_one_day_closure_is_still_waited_out() -> None:
    departure = beijing(2026, 3, 2, 10)  # due Wednesday 4 March
    closed_wednesday = Closure(date(2026, 3, 4), date(2026, 3, 4), "landslide")
    open_end, _ = window(gyirong(), departure)
    closed_end, reasons = window(gyirong(closed_wednesday), departure)
    assert closed_end - open_end == timedelta(days=1)  # the window follows the closed day
    assert not any("overdue" in r for r in reasons)


@pytest.mark.parametrize("hour", [10, 20])
def test_two_closed_days_are_waited_out_and_five_are_cut_at_the_hold(hour: int) -> None:
    """The hold counts from the end the window would have had with the port open, whatever
    the hour the truck left."""
    departure = beijing(2025, 7, 1, hour)
    usual, _ = window(gyirong(), departure)
    due = (departure + timedelta(hours=LEG.typical_hours)).astimezone(BEIJING).date()
    two = Closure(due, due + timedelta(days=1), "snow")
    five = Closure(due, due + timedelta(days=4), "landslide")
    end_two, reasons_two = window(gyirong(two), departure)
    end_five, reasons_five = window(gyirong(five), departure)
    assert usual < end_two <= usual + CLOSURE_HOLD
    assert not any("overdue" in r for r in reasons_two)
    assert end_five == usual + CLOSURE_HOLD
    assert any("overdue" in r for r in reasons_five)


def test_without_closures_the_hold_never_cuts_a_window() -> None:
    calendar = gyirong()
    for hour in range(0, 24 * 7):  # every departure hour of a week
        departure = beijing(2026, 3, 2) + timedelta(hours=hour)
        _, reasons = window(calendar, departure)
        assert len([r for r in reasons if "overdue" in r]) == 0, departure


def test_a_closure_starting_after_the_arrival_does_not_stretch_the_plan() -> None:
    """The planner's deadline is the first opening after arrival plus slack: a long closure
    from the next day on used to push it past the closure. It keeps the seal's rule."""
    calendar = gyirong(Closure(date(2025, 7, 9), date(2025, 12, 31), "flood"))
    now = beijing(2025, 7, 5, 20)
    [plan] = plan_departures(
        [ParkedTruck("T1", "gyirong-port")],
        {"gyirong-port": calendar},
        {"gyirong-port": LEG},
        now=now,
        daily_capacity={"gyirong-port": 10},
    )
    seal_end, _ = window(calendar, plan.departure)
    assert plan.arrival.end == seal_end
    usual, _ = window(gyirong(), plan.departure)
    assert plan.arrival.end == usual + CLOSURE_HOLD
    assert plan.arrival.end.astimezone(BEIJING).date() < date(2025, 7, 15)


def test_the_shipped_calendars_keep_their_sourced_closure() -> None:
    """The rule is there for the real case: Gyirong's 2025 closure in the shipped calendar."""
    data = Path(__file__).resolve().parents[2] / "src" / "landport" / "data"
    calendars = parse_calendars(loads((data / "port_calendars.json").read_text(encoding="utf-8")))
    end, reasons = window(calendars["gyirong-port"], beijing(2025, 7, 6, 10))
    assert end.astimezone(BEIJING).date() < date(2025, 7, 15) and any(
        "overdue" in r for r in reasons
    )
