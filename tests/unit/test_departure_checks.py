"""A departure chosen by hand is checked against the same rules as a planned one."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

from landport.seals.calendar import BEIJING, Closure, PortCalendar
from landport.yard.departures import PortClosure, RouteLeg
from landport.yard.model import DepartureRules
from landport.yard.planning import calendars_with, departure_refusals

GYIRONG = PortCalendar("gyirong-port", ((time(10), time(12, 30)), (time(13, 30), time(17))))
ROUTES = {"gyirong-port": RouteLeg("shigatse-gyirong", "gyirong-port", 564, 48)}
RULES = DepartureRules(time(6), time(12), {"gyirong-port": 2})


def codes(at: datetime, booked: Counter[tuple[str, date]] | None = None, **kw: object) -> list[str]:
    calendars = kw.get("calendars", {"gyirong-port": GYIRONG})
    found = departure_refusals(
        at,
        "gyirong-port",
        calendars=calendars,  # type: ignore[arg-type]
        routes=ROUTES,
        rules=RULES,
        booked=booked or Counter(),
    )
    return [v.code for v in found]


def test_a_morning_departure_arriving_in_opening_hours_is_accepted() -> None:
    assert codes(datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING)) == []


def test_every_reason_is_named_at_once() -> None:
    closed = calendars_with(
        {"gyirong-port": GYIRONG},
        [PortClosure("gyirong-port", Closure(date(2026, 3, 4), date(2026, 3, 4), "flood"))],
    )
    assert codes(datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING), calendars=closed) == ["port_closed"]
    assert codes(datetime(2026, 3, 2, 20, 0, tzinfo=BEIJING)) == [
        "outside_departure_window",
        "arrives_after_hours",
    ]
    full = Counter({("gyirong-port", date(2026, 3, 4)): 2})
    assert codes(datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING), full) == ["port_full"]


def test_an_added_closure_is_merged_once() -> None:
    closure = PortClosure("gyirong-port", Closure(date(2026, 3, 4), date(2026, 3, 5), "snow"))
    merged = calendars_with({"gyirong-port": GYIRONG}, [closure, closure])
    assert merged["gyirong-port"].closures == (closure.closure,)
    assert calendars_with(
        {"gyirong-port": GYIRONG}, [PortClosure("lizi-port", closure.closure)]
    ) == {"gyirong-port": GYIRONG}
