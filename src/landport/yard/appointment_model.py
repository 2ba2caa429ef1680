"""Truck appointments (预约): what is booked, by whom, for which hour of which resource.

Plain data only; the book (`appointment_book.py`) applies the rules and the fairness rule
(`appointment_rules.py`) is what the port publishes. Bookable resources come from the yard
layout (`data/yard.json`): the scan lanes, examination bays and entry gates, each sold by
whole hours inside its opening hours, below its nominal throughput.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import NoReturn

from landport.seals.calendar import BEIJING
from landport.shared.errors import InvalidInput, Violation
from landport.yard.model import Hours, YardLayout

SLOT_LENGTH = timedelta(hours=1)

#: Local hours in which the yard is crowded and per-forwarder quotas apply (estimate).
PEAK_HOURS = frozenset({9, 10, 11})
#: Share of a resource's nominal throughput sold as appointments; the rest absorbs slow
#: scans and walk-ins.
BOOKING_UTILISATION = 0.85
#: Minutes one truck takes where the layout gives no service time (estimates).
EXAM_MINUTES = 20.0
GATE_MINUTES = 2.5


class AppointmentStatus(StrEnum):
    """Booked (已预约), on standby (候补), arrived (已到场), cancelled, no-show, expired."""

    BOOKED = "booked"
    STANDBY = "standby"
    ARRIVED = "arrived"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    EXPIRED = "expired"  # a standby entry whose slot passed without a place: no penalty


A = AppointmentStatus
#: Statuses that take one unit of a slot's capacity.
OCCUPYING = frozenset({A.BOOKED, A.ARRIVED})
#: Statuses that keep the declaration from being booked a second time.
HOLDING = frozenset({A.BOOKED, A.ARRIVED, A.STANDBY})

STATUS_ZH = {
    A.BOOKED: "已预约",
    A.STANDBY: "候补",
    A.ARRIVED: "已到场",
    A.CANCELLED: "已取消",
    A.NO_SHOW: "爽约",
    A.EXPIRED: "候补过期",
}


@dataclass(frozen=True, slots=True)
class Resource:
    """Something trucks book an hour of: a scan lane, an examination bay, a gate.

    Opening hours and peak hours are whole local hours in `tz` (Beijing time by default);
    a slot `[h, h+1)` must lie inside `[opens_hour, closes_hour)` and not in `breaks`.
    """

    id: str
    capacity_per_hour: int
    opens_hour: int = 8
    closes_hour: int = 20
    peak_hours: frozenset[int] = frozenset()
    tz: tzinfo = BEIJING
    breaks: frozenset[int] = frozenset()
    kind: str = "lane"

    def is_open(self, local_hour: int) -> bool:
        return self.opens_hour <= local_hour < self.closes_hour and local_hour not in self.breaks

    @property
    def open_hours(self) -> tuple[int, ...]:
        return tuple(h for h in range(self.opens_hour, self.closes_hour) if self.is_open(h))


@dataclass(frozen=True, slots=True)
class AppointmentPolicy:
    """The published parameters of the booking rules."""

    peak_share: float = 0.30  # no forwarder may hold more than this share of a peak hour
    no_show_grace: timedelta = timedelta(minutes=30)  # after the slot's end
    early_arrival: timedelta = timedelta(minutes=30)  # before the slot's start
    no_show_limit: int = 3
    # ... and at least this share of its slots in the window: a big forwarder with 3 misses
    # out of 500 bookings is reliable (bench/yard.py showed a count-only rule suspending most).
    no_show_share: float = 0.10
    no_show_window: timedelta = timedelta(days=30)
    restricted_horizon: timedelta = timedelta(hours=24)
    # how far ahead anyone may book: goods declared today do not need next year's gate
    # hour, and a slot held that long is one the others cannot plan with
    booking_horizon: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """A forwarder (declarant) asks for an hour of a resource for one declaration."""

    appointment_id: str
    forwarder: str
    declaration_id: str
    plate: str
    resource_id: str
    slot_start: datetime


@dataclass(slots=True)
class Appointment:
    """One booking, standby entry or walk-in; `sequence` orders the standby list fairly."""

    id: str
    forwarder: str
    declaration_id: str
    plate: str
    resource_id: str
    slot_start: datetime
    status: AppointmentStatus
    requested_at: datetime
    sequence: int
    walk_in: bool = False
    promoted_at: datetime | None = None
    arrived_at: datetime | None = None
    cancelled_at: datetime | None = None
    no_show_at: datetime | None = None
    note: str | None = None  # why a walk-in waits on standby


@dataclass(frozen=True, slots=True)
class NoShow:
    """A booked slot nobody came to, counted against the forwarder."""

    appointment_id: str
    forwarder: str
    slot_start: datetime
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Standing:
    """A forwarder's record inside the rolling window: slots missed and slots kept."""

    no_shows: int = 0
    arrivals: int = 0

    def __add__(self, other: Standing) -> Standing:
        return Standing(self.no_shows + other.no_shows, self.arrivals + other.arrivals)


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """What a cancellation or reschedule did, including any standby entry it promoted."""

    appointment: Appointment
    promoted: Appointment | None


@dataclass(frozen=True, slots=True)
class PublishedRule:
    """A booking rule as the UI publishes it to truckers."""

    code: str
    text_en: str
    text_zh: str
    parameters: dict[str, str]


# -- resources from the layout ----------------------------------------------------------


def _whole_hours(hours: Hours) -> set[int]:
    """Local hours `h` whose whole `[h, h+1)` lies inside one opening interval."""
    found: set[int] = set()
    for opens, closes in hours:
        first = opens.hour + (1 if (opens.minute or opens.second) else 0)
        last = 24 if closes == time.max else closes.hour  # exclusive
        found.update(range(first, last))
    return found


def _resource(
    rid: str, kind: str, minutes: float, hours: Hours, utilisation: float
) -> Resource | None:
    open_hours = _whole_hours(hours)
    if not open_hours:
        return None
    opens, closes = min(open_hours), max(open_hours) + 1
    capacity = max(1, int(60.0 / minutes * utilisation))
    breaks = frozenset(set(range(opens, closes)) - open_hours)
    return Resource(rid, capacity, opens, closes, PEAK_HOURS, BEIJING, breaks, kind)


def resources_from_layout(
    layout: YardLayout, *, utilisation: float = BOOKING_UTILISATION
) -> dict[str, Resource]:
    """Bookable resources: each scan lane, examination bay and entry gate of the layout."""
    found: list[Resource | None] = []
    for lane in layout.scan_lanes:
        found.append(_resource(lane.id, "scan_lane", lane.service_minutes, lane.hours, utilisation))
    for bay in layout.exam_bays:
        found.append(_resource(bay.id, "exam_bay", EXAM_MINUTES, bay.hours, utilisation))
    for gate in layout.gates:
        if gate.direction == "in":
            found.append(_resource(gate.id, "gate_in", GATE_MINUTES, gate.hours, utilisation))
    return {r.id: r for r in found if r is not None}


# -- refusals -----------------------------------------------------------------------------


def refuse(field_path: str, code: str, en: str, zh: str) -> NoReturn:
    raise InvalidInput([Violation(field_path, code, en, zh)])


def require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        refuse(name, "naive_datetime", f"{name} needs a time zone", f"{name} 须带时区")
