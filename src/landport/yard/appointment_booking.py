"""Booking, standby, cancellation, reschedule, arrivals and no-shows on the appointment book.

Every refusal raises `InvalidInput` with bilingual `Violation`s naming the field and the
rule, decided before anything changes, so a refused call leaves the book as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime

from landport.shared.errors import InvalidInput, Violation
from landport.yard.appointment_book import (
    AppointmentBook,
    priority_suspended,
    standby_list,
)
from landport.yard.appointment_model import (
    OCCUPYING,
    SLOT_LENGTH,
    Appointment,
    AppointmentStatus,
    BookingRequest,
    ChangeOutcome,
    NoShow,
    Resource,
    refuse,
    require_aware,
)
from landport.yard.appointment_rules import (
    peak_quota,
    quota_violation,
    suspension_violation,
)

A = AppointmentStatus


def _seq(a: Appointment) -> int:
    return a.sequence


# -- commands ----------------------------------------------------------------------------


def book_slot(book: AppointmentBook, request: BookingRequest, *, now: datetime) -> Appointment:
    """Book a slot, or join its standby list when it is full (see `Appointment.status`)."""
    require_aware(now, "now")
    resource, slot = check_request(book, request, now=now, moving=None)
    free = book.occupied(resource.id, slot) < resource.capacity_per_hour
    appointment = Appointment(
        id=request.appointment_id,
        forwarder=request.forwarder,
        declaration_id=request.declaration_id,
        plate=request.plate,
        resource_id=resource.id,
        slot_start=slot,
        status=A.BOOKED if free else A.STANDBY,
        requested_at=now,
        sequence=book.next_sequence,
    )
    book.next_sequence += 1
    book.add(appointment)
    return appointment


def cancel(
    book: AppointmentBook, appointment_id: str, *, forwarder: str, now: datetime
) -> ChangeOutcome:
    """Cancel a booking or standby entry before its slot starts; promote standby fairly."""
    require_aware(now, "now")
    appointment = own_active(book, appointment_id, forwarder, now)
    freed = appointment.status is A.BOOKED
    book.set_status(appointment, A.CANCELLED)
    appointment.cancelled_at = now
    promoted = (
        promote(book, appointment.resource_id, appointment.slot_start, now) if freed else None
    )
    return ChangeOutcome(appointment, promoted)


def reschedule(
    book: AppointmentBook,
    appointment_id: str,
    new_slot_start: datetime,
    *,
    forwarder: str,
    now: datetime,
) -> ChangeOutcome:
    """Move a booking to another hour of the same resource; a full target is refused.

    A reschedule never leaves the forwarder worse off: the old place is only given up
    (and promoted to standby) once the new one is confirmed.
    """
    require_aware(now, "now")
    appointment = own_active(book, appointment_id, forwarder, now)
    request = BookingRequest(
        appointment.id,
        appointment.forwarder,
        appointment.declaration_id,
        appointment.plate,
        appointment.resource_id,
        new_slot_start,
    )
    resource, slot = check_request(book, request, now=now, moving=appointment)
    if slot == appointment.slot_start:
        refuse("slot_start", "same_slot", "the appointment is already for this hour", "已是该时段")
    if book.occupied(resource.id, slot) >= resource.capacity_per_hour:
        refuse(
            "slot_start",
            "slot_full",
            "the requested slot is full; the current appointment is kept",
            "目标时段已满，原预约保留",
        )
    old_slot, was_booked = appointment.slot_start, appointment.status is A.BOOKED
    book.move(appointment, slot)
    book.set_status(appointment, A.BOOKED)
    promoted = promote(book, resource.id, old_slot, now) if was_booked else None
    return ChangeOutcome(appointment, promoted)


def check_in(book: AppointmentBook, appointment_id: str, *, now: datetime) -> Appointment:
    """Record the truck's arrival for a booking, from early arrival to the end of grace."""
    require_aware(now, "now")
    appointment = get(book, appointment_id)
    if appointment.status is not A.BOOKED:
        refuse(
            "appointment_id",
            "appointment_not_booked",
            f"appointment is '{appointment.status}', only a booked appointment can arrive",
            f"预约状态为「{appointment.status}」，只有已预约的车辆可以报到",
        )
    opens = appointment.slot_start - book.policy.early_arrival
    closes = appointment.slot_start + SLOT_LENGTH + book.policy.no_show_grace
    if not opens <= now < closes:
        refuse(
            "now",
            "outside_arrival_window",
            "arrival is accepted from 30 minutes before the slot to the end of the grace period",
            "仅在时段开始前至宽限期结束之间可报到",
        )
    book.set_status(appointment, A.ARRIVED)
    appointment.arrived_at = now
    return appointment


def record_no_shows(
    book: AppointmentBook,
    *,
    now: datetime,
    arrivals: Mapping[str, datetime] | None = None,
) -> list[NoShow]:
    """Mark booked slots past their grace period as no-shows; expire stale standby entries.

    `arrivals` maps a declaration to when its truck gated in: a booking whose truck came
    before the deadline is marked arrived instead (the gate, not the driver, is the proof).
    """
    require_aware(now, "now")
    came = arrivals or {}
    recorded: list[NoShow] = []
    for appointment in sorted(book.appointments.values(), key=_seq):
        deadline = appointment.slot_start + SLOT_LENGTH + book.policy.no_show_grace
        if deadline > now:
            continue
        if appointment.status is A.BOOKED:
            gated_in = came.get(appointment.declaration_id)
            if gated_in is not None and gated_in <= deadline:
                book.set_status(appointment, A.ARRIVED)
                appointment.arrived_at = gated_in
                continue
            book.set_status(appointment, A.NO_SHOW)
            appointment.no_show_at = now
            no_show = NoShow(appointment.id, appointment.forwarder, appointment.slot_start, now)
            book.no_shows.append(no_show)
            recorded.append(no_show)
        elif appointment.status is A.STANDBY:
            book.set_status(appointment, A.EXPIRED)
    return recorded


# -- rules -------------------------------------------------------------------------------


def check_request(
    book: AppointmentBook,
    request: BookingRequest,
    *,
    now: datetime,
    moving: Appointment | None,
    walk_in: bool = False,
) -> tuple[Resource, datetime]:
    """Every rule a booking must pass, all reported at once; changes nothing."""
    resource = book.resources.get(request.resource_id)
    if resource is None:
        refuse(
            "resource_id",
            "unknown_resource",
            f"no bookable resource '{request.resource_id}'",
            f"不存在可预约资源「{request.resource_id}」",
        )
    start = request.slot_start
    if start.tzinfo is None or start.utcoffset() is None:
        refuse("slot_start", "naive_datetime", "slot start needs a time zone", "时段开始须带时区")
    slot = start.astimezone(UTC)
    found: list[Violation] = []
    if slot.minute or slot.second or slot.microsecond:
        found.append(
            Violation("slot_start", "slot_not_on_hour", "slots start on the hour", "时段须整点开始")
        )
    if not walk_in and slot <= now:
        found.append(
            Violation(
                "slot_start", "slot_in_past", "the slot has already started", "该时段已开始或已过"
            )
        )
    horizon = book.policy.booking_horizon
    if slot > now + horizon:
        found.append(
            Violation(
                "slot_start",
                "slot_too_far_ahead",
                f"slots can be booked at most {horizon.days} days ahead",
                f"最多只能预约 {horizon.days} 天内的时段",
            )
        )
    local_hour = slot.astimezone(resource.tz).hour
    if not resource.is_open(local_hour):
        hours = ", ".join(f"{h:02d}:00" for h in resource.open_hours)
        found.append(
            Violation(
                "slot_start",
                "outside_opening_hours",
                f"'{resource.id}' takes appointments only for the local hours starting {hours}",
                f"「{resource.id}」仅接受当地时间 {hours} 开始的时段预约",
            )
        )
    if moving is None:
        if request.appointment_id in book.appointments:
            found.append(
                Violation(
                    "appointment_id",
                    "duplicate_appointment_id",
                    "this appointment id is already used",
                    "预约编号已被使用",
                )
            )
        if book.declaration_held(request.declaration_id):
            found.append(
                Violation(
                    "declaration_id",
                    "declaration_already_booked",
                    "this declaration already has an appointment or standby entry",
                    "该报关单已有预约或候补",
                )
            )
    if (
        not walk_in
        and slot - now > book.policy.restricted_horizon
        and priority_suspended(book, request.forwarder, now=now)
    ):
        found.append(suspension_violation(book.policy))
    if local_hour in resource.peak_hours:
        held = sum(
            1
            for a in book.in_slot(resource.id, slot, OCCUPYING | {A.STANDBY})
            if a.forwarder == request.forwarder and a is not moving
        )
        if held >= peak_quota(resource, book.policy):
            found.append(quota_violation(resource, book.policy))
    if found:
        raise InvalidInput(found)
    return resource, slot


def promote(
    book: AppointmentBook, resource_id: str, slot: datetime, now: datetime
) -> Appointment | None:
    """Give a freed place to the earliest standby entry whose forwarder is within quota."""
    resource = book.resources[resource_id]
    if book.occupied(resource_id, slot) >= resource.capacity_per_hour:
        return None
    peak = slot.astimezone(resource.tz).hour in resource.peak_hours
    quota = peak_quota(resource, book.policy)
    holders = Counter(a.forwarder for a in book.in_slot(resource_id, slot, OCCUPYING))
    for entry in standby_list(book, resource_id, slot):
        if peak and holders[entry.forwarder] >= quota:
            continue
        book.set_status(entry, A.BOOKED)
        entry.promoted_at = now
        return entry
    return None


def own_active(
    book: AppointmentBook, appointment_id: str, forwarder: str, now: datetime
) -> Appointment:
    appointment = get(book, appointment_id)
    found: list[Violation] = []
    if appointment.forwarder != forwarder:
        found.append(
            Violation(
                "forwarder",
                "not_your_appointment",
                "the appointment belongs to another forwarder",
                "该预约属于其他货代",
            )
        )
    if appointment.status not in (A.BOOKED, A.STANDBY):
        found.append(
            Violation(
                "appointment_id",
                "appointment_not_active",
                f"appointment is '{appointment.status}' and can no longer be changed",
                f"预约状态为「{appointment.status}」，不能再更改",
            )
        )
    elif appointment.slot_start <= now:
        found.append(
            Violation(
                "appointment_id",
                "slot_already_started",
                "the slot has already started",
                "该时段已开始",
            )
        )
    if found:
        raise InvalidInput(found)
    return appointment


def get(book: AppointmentBook, appointment_id: str) -> Appointment:
    appointment = book.appointments.get(appointment_id)
    if appointment is None:
        refuse(
            "appointment_id",
            "unknown_appointment",
            f"no appointment '{appointment_id}'",
            f"不存在预约「{appointment_id}」",
        )
    return appointment
