"""Border-port calendars: opening hours (Beijing time) and closures decide when trucks arrive."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from landport.shared.clock import (
    BEIJING as BEIJING,  # the calendars' time, re-exported
)
from landport.shared.clock import beijing_date


@dataclass(frozen=True, slots=True)
class Closure:
    start: date
    end: date  # inclusive
    reason: str

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class PortCalendar:
    """When a border port clears cargo; hours and closures as published (with confidence)."""

    port_id: str
    hours: tuple[tuple[time, time], ...]
    closures: tuple[Closure, ...] = ()
    hours_confidence: str = "assumed"

    def closure_on(self, day: date) -> Closure | None:
        return next((c for c in self.closures if c.covers(day)), None)

    def openings(self, start: datetime, days: int = 400) -> list[tuple[datetime, datetime]]:
        """Opening intervals (UTC) from `start` on, skipping closed days."""
        return list(self._openings(start, days))

    def next_open(self, after: datetime) -> tuple[datetime, datetime] | None:
        # Lazily: arming a seal asks this twice, and 400 days of intervals cost milliseconds.
        return next(self._openings(after, 400), None)

    def _openings(self, start: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
        first = beijing_date(start)
        for offset in range(days):
            day = first + timedelta(days=offset)
            if self.closure_on(day):
                continue
            for opens, closes in self.hours:
                begin = datetime.combine(day, opens, BEIJING).astimezone(UTC)
                end = datetime.combine(day, closes, BEIJING).astimezone(UTC)
                if end > start:
                    yield (max(begin, start), end)


def parse_calendars(document: Mapping[str, Any]) -> dict[str, PortCalendar]:
    """From port_calendars.json: hours as "HH:MM" pairs, closures with inclusive dates."""
    calendars: dict[str, PortCalendar] = {}
    for port in document["ports"]:
        hours = tuple(
            (time.fromisoformat(opens), time.fromisoformat(closes))
            for opens, closes in port["hours"]
        )
        closures = tuple(
            Closure(date.fromisoformat(c["from"]), date.fromisoformat(c["to"]), c["reason"])
            for c in port.get("closures", [])
        )
        calendars[port["port"]] = PortCalendar(
            port["port"], hours, closures, port.get("hours_confidence", "assumed")
        )
    return calendars


#: How long past the usual deadline a closure at the border may keep a sealed truck's window
#: open. A closed day or two is waited out near the port; a longer closure (the Gyirong bridge
#: was out for six months in 2025) must not leave a truck on the road unwatched for its whole
#: length: its window ends here and an officer is asked where the truck is (overdue alert).
CLOSURE_HOLD = timedelta(hours=72)


@dataclass(frozen=True, slots=True)
class ArrivalWindow:
    """When the sealed truck is expected at the border: not before `start`, not after `end`.
    `held_by`: the closures a window was cut short over (`CLOSURE_HOLD`), if any."""

    start: datetime
    expected: datetime
    end: datetime
    reasons: tuple[str, ...]
    held_by: tuple[Closure, ...] = ()


def arrival_window(
    *,
    departure: datetime,
    road_km: float,
    typical_hours: float,
    calendar: PortCalendar,
    fastest_kmh: float = 60.0,
    slack_hours: float = 12.0,
) -> ArrivalWindow:
    """Earliest = the road at the fastest plausible speed; expected = the typical trip time,
    moved to the port's next opening; end = the close of the first opening after expected
    plus slack (a truck delayed by snow on a 5,000 m pass is late, not lost), held over a
    closure by at most `CLOSURE_HOLD` past the end it would have with the port open. The
    seal and the yard's departure planner both use it."""
    earliest = departure + timedelta(hours=road_km / fastest_kmh)
    typical = departure + timedelta(hours=typical_hours)
    slack = timedelta(hours=slack_hours)
    reasons = [f"road {road_km:.0f} km, typically {typical_hours:.0f} h"]
    expected, end = _expected_and_end(calendar, typical, slack)
    if expected > typical:
        reasons.append(
            f"{calendar.port_id} opens {expected.astimezone(BEIJING):%Y-%m-%d %H:%M} Beijing time"
        )
    latest = _expected_and_end(replace(calendar, closures=()), typical, slack)[1] + CLOSURE_HOLD
    if end <= latest:
        return ArrivalWindow(earliest, expected, end, tuple(reasons))
    held_by = tuple(closures_between(calendar, typical, end))
    named = ", ".join(f"{c.start} to {c.end} ({c.reason})" for c in held_by) or "closed"
    hold = CLOSURE_HOLD.total_seconds() / 3600
    reasons.append(
        f"{calendar.port_id} closed {named}: the window is held at most {hold:.0f} h past "
        "its usual end, then the truck is overdue"
    )
    return ArrivalWindow(earliest, expected, latest, tuple(reasons), held_by)


def _expected_and_end(
    calendar: PortCalendar, typical: datetime, slack: timedelta
) -> tuple[datetime, datetime]:
    """The expected arrival (typical, or the next opening) and the close of the first
    opening after it plus slack."""
    opening = calendar.next_open(typical)
    if opening is None:
        raise ValueError(f"{calendar.port_id} has no opening in the next 400 days")
    expected = max(typical, opening[0])
    deadline = calendar.next_open(expected + slack)
    return expected, deadline[1] if deadline else expected + slack


def closures_between(calendar: PortCalendar, start: datetime, end: datetime) -> Sequence[Closure]:
    first, last = beijing_date(start), beijing_date(end)
    return [c for c in calendar.closures if c.start <= last and c.end >= first]
