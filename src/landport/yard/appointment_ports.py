"""What the appointment handlers need from storage (the adapter works on the unit of work's
connection, so a booking, its audit entries and the slot counter commit together)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from landport.yard.appointment_book import AppointmentBook, SlotKey
from landport.yard.appointment_model import Appointment, AppointmentPolicy, Resource


class AppointmentStore(Protocol):
    def open_book(
        self,
        resources: Mapping[str, Resource],
        policy: AppointmentPolicy,
        slots: Iterable[SlotKey],
        *,
        forwarder: str | None = None,
        declaration_id: str | None = None,
        now: datetime,
    ) -> AppointmentBook:
        """Lock the slots (in one order, so two commands cannot deadlock) and load their
        live appointments, the declaration's live appointment and the forwarder's standing."""
        ...

    def save(self, book: AppointmentBook, *, requested_by: str) -> None:
        """Write the touched appointments and the slots' counters (capacity is checked by
        the database too)."""
        ...

    def get(self, appointment_id: str) -> Appointment | None: ...

    def occupancy(self, resource_id: str, since: datetime, until: datetime) -> dict[datetime, int]:
        """Places taken per slot start (booked or arrived) of a resource in `[since, until)`."""
        ...

    def due_for_sweep(self, cutoff: datetime) -> list[SlotKey]:
        """Slots starting at or before `cutoff` that still hold booked or standby entries."""
        ...

    def gate_ins(self, declaration_ids: Iterable[str]) -> dict[str, datetime]:
        """The first gate-in of a truck visit of each declaration, where there is one."""
        ...


AppointmentStoreFor = Callable[[Any], AppointmentStore]  # the unit of work -> its store
