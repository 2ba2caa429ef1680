"""The appointment book: every appointment of the yard's resources, indexed.

The book is indexed by (resource, hour), by active declaration and by each forwarder's
timeline of kept and missed slots, so a booking costs the same in an empty book and in a
book of a month of appointments. The database path loads only the part a command needs
(the slot, the declaration, the forwarder's standing as counts in `standing_base`) and
saves the appointments listed in `touched`. The commands are in `appointment_booking.py`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from landport.yard.appointment_model import (
    HOLDING,
    OCCUPYING,
    Appointment,
    AppointmentPolicy,
    AppointmentStatus,
    NoShow,
    Resource,
    Standing,
)
from landport.yard.appointment_rules import (
    is_suspended,
)

A = AppointmentStatus
SlotKey = tuple[str, datetime]


@dataclass(slots=True)
class AppointmentBook:
    """Appointments, standby entries and no-shows of the yard's resources, indexed."""

    resources: dict[str, Resource]
    policy: AppointmentPolicy = field(default_factory=AppointmentPolicy)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    no_shows: list[NoShow] = field(default_factory=list)
    next_sequence: int = 1
    #: Standing counted outside this book (the database's rows not loaded here).
    standing_base: dict[str, Standing] = field(default_factory=dict, compare=False)
    #: Ids of appointments added or changed since the book was loaded.
    touched: set[str] = field(default_factory=set, compare=False)
    _slots: dict[SlotKey, list[Appointment]] = field(default_factory=dict, compare=False)
    _holding: Counter[str] = field(default_factory=Counter, compare=False)
    _missed: dict[str, list[datetime]] = field(default_factory=dict, compare=False)
    _kept: dict[str, list[datetime]] = field(default_factory=dict, compare=False)

    # -- index maintenance --------------------------------------------------------------

    def load(self, appointments: Iterable[Appointment]) -> None:
        """Add stored appointments without counting them in the timelines (the
        database's counts are in `standing_base`) and without marking them touched."""
        for a in appointments:
            self._index(a, timeline=False)

    def add(self, appointment: Appointment) -> None:
        self._index(appointment, timeline=True)
        self.touched.add(appointment.id)

    def _index(self, a: Appointment, *, timeline: bool) -> None:
        a.slot_start = a.slot_start.astimezone(UTC)
        self.appointments[a.id] = a
        insort(self._slots.setdefault((a.resource_id, a.slot_start), []), a, key=_seq)
        if a.status in HOLDING:
            self._holding[a.declaration_id] += 1
        if timeline:
            self._timeline(a, +1)

    def set_status(self, a: Appointment, status: AppointmentStatus) -> None:
        if a.status in HOLDING:
            self._holding[a.declaration_id] -= 1
        self._timeline(a, -1)
        a.status = status
        if status in HOLDING:
            self._holding[a.declaration_id] += 1
        self._timeline(a, +1)
        self.touched.add(a.id)

    def move(self, a: Appointment, slot: datetime) -> None:
        old = self._slots[(a.resource_id, a.slot_start)]
        old.remove(a)
        a.slot_start = slot
        insort(self._slots.setdefault((a.resource_id, slot), []), a, key=_seq)
        self.touched.add(a.id)

    def _timeline(self, a: Appointment, delta: int) -> None:
        line = {A.NO_SHOW: self._missed, A.ARRIVED: self._kept}.get(a.status)
        if line is None:
            return
        times = line.setdefault(a.forwarder, [])
        if delta > 0:
            insort(times, a.slot_start)
        else:
            at = bisect_left(times, a.slot_start)
            if at < len(times) and times[at] == a.slot_start:  # loaded rows are not in it
                times.pop(at)

    # -- queries ------------------------------------------------------------------------

    def in_slot(
        self, resource_id: str, slot_start: datetime, statuses: frozenset[AppointmentStatus]
    ) -> list[Appointment]:
        """The slot's appointments with these statuses, in request order."""
        found = self._slots.get((resource_id, slot_start.astimezone(UTC)), [])
        return [a for a in found if a.status in statuses]

    def occupied(self, resource_id: str, slot_start: datetime) -> int:
        return len(self.in_slot(resource_id, slot_start, OCCUPYING))

    def declaration_held(self, declaration_id: str) -> bool:
        return self._holding[declaration_id] > 0

    def standing(self, forwarder: str, *, now: datetime) -> Standing:
        """No-shows and arrivals of the forwarder with slots inside the rolling window."""
        since = now - self.policy.no_show_window
        own = Standing(
            _count(self._missed.get(forwarder, []), since, now),
            _count(self._kept.get(forwarder, []), since, now),
        )
        return self.standing_base.get(forwarder, Standing()) + own


def _seq(a: Appointment) -> int:
    return a.sequence


def _count(times: list[datetime], since: datetime, until: datetime) -> int:
    return bisect_right(times, until) - bisect_left(times, since)


# -- queries (module functions, as published) ------------------------------------------


def occupied(book: AppointmentBook, resource_id: str, slot_start: datetime) -> int:
    """How many places of a slot are taken (booked or arrived, walk-ins included)."""
    return book.occupied(resource_id, slot_start)


def standby_list(
    book: AppointmentBook, resource_id: str, slot_start: datetime
) -> list[Appointment]:
    """The slot's standby list in promotion order (earliest request first)."""
    return book.in_slot(resource_id, slot_start, frozenset({A.STANDBY}))


def no_show_count(book: AppointmentBook, forwarder: str, *, now: datetime) -> int:
    """No-shows of the forwarder inside the rolling window ending now."""
    return book.standing(forwarder, now=now).no_shows


def priority_suspended(book: AppointmentBook, forwarder: str, *, now: datetime) -> bool:
    """Whether the fairness rule currently restricts this forwarder."""
    return is_suspended(book.standing(forwarder, now=now), book.policy)
