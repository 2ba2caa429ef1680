"""Walk-ins (临时入场): trucks without an appointment, admitted into the current hour.

A walk-in takes a free place of the hour it arrives in; it is not subject to the no-show
rule (a suspended forwarder can still come), but peak quotas and opening hours hold. When
the hour is full the truck either is refused or waits on the hour's standby list with the
reason written on the entry, as the gate clerk chooses.
"""

from __future__ import annotations

from datetime import UTC, datetime

from landport.yard.appointment_book import AppointmentBook
from landport.yard.appointment_booking import check_request
from landport.yard.appointment_model import (
    Appointment,
    AppointmentStatus,
    BookingRequest,
    refuse,
    require_aware,
)

A = AppointmentStatus
FULL_EN = "no free place in the current hour; walk-ins are admitted only when capacity allows"
FULL_ZH = "当前时段无空余名额，仅在运力允许时接受临时入场"


def current_slot(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def walk_in(
    book: AppointmentBook,
    request: BookingRequest,
    *,
    now: datetime,
    standby_when_full: bool = False,
) -> Appointment:
    """Admit a truck without appointment into the current hour when a place is free.

    `request.slot_start` is ignored: the slot is the hour the truck arrives in. A full hour
    is refused, or with `standby_when_full` the truck joins its standby list, with the reason.
    """
    require_aware(now, "now")
    current = BookingRequest(
        request.appointment_id,
        request.forwarder,
        request.declaration_id,
        request.plate,
        request.resource_id,
        current_slot(now),
    )
    resource, slot = check_request(book, current, now=now, moving=None, walk_in=True)
    full = book.occupied(resource.id, slot) >= resource.capacity_per_hour
    if full and not standby_when_full:
        refuse("resource_id", "no_capacity_for_walk_in", FULL_EN, FULL_ZH)
    appointment = Appointment(
        id=current.appointment_id,
        forwarder=current.forwarder,
        declaration_id=current.declaration_id,
        plate=current.plate,
        resource_id=resource.id,
        slot_start=slot,
        status=A.STANDBY if full else A.ARRIVED,
        requested_at=now,
        sequence=book.next_sequence,
        walk_in=True,
        arrived_at=None if full else now,
        note=f"{FULL_EN} / {FULL_ZH}" if full else None,
    )
    book.next_sequence += 1
    book.add(appointment)
    return appointment
