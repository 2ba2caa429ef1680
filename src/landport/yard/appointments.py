"""Truck appointments (预约) for the inspection yard: slots, standby, quotas and no-shows.

Pure logic over an in-memory `AppointmentBook`; the integrator persists it. Every
refusal raises `InvalidInput` with bilingual `Violation`s naming the field and the rule,
and is decided before anything is changed, so a refused call leaves the book as it was.

Appointments are only as good as their no-show handling, so the book keeps a standby
list per slot (first come, first promoted) and a published fairness rule (see
`fairness_rule`): a forwarder that repeatedly fails to show loses priority booking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import NoReturn

from landport.shared.errors import InvalidInput, Violation

SLOT_LENGTH = timedelta(hours=1)
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


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


@dataclass(frozen=True, slots=True)
class Resource:
    """Something trucks book an hour of: a scan lane, an examination bay, the gate.

    Opening hours and peak hours are whole local hours in `tz` (Beijing time by default);
    a slot `[h, h+1)` must lie inside `[opens_hour, closes_hour)`.
    """

    id: str
    capacity_per_hour: int
    opens_hour: int = 8
    closes_hour: int = 20
    peak_hours: frozenset[int] = frozenset()
    tz: tzinfo = BEIJING


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


@dataclass(frozen=True, slots=True)
class NoShow:
    """A booked slot nobody came to, counted against the forwarder."""

    appointment_id: str
    forwarder: str
    slot_start: datetime
    recorded_at: datetime


@dataclass(slots=True)
class AppointmentBook:
    """All appointments, standby entries and no-shows of the yard's resources."""

    resources: dict[str, Resource]
    policy: AppointmentPolicy = field(default_factory=AppointmentPolicy)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    no_shows: list[NoShow] = field(default_factory=list)
    next_sequence: int = 1


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


# -- the published rule -------------------------------------------------------------------


def fairness_rule(policy: AppointmentPolicy | None = None) -> PublishedRule:
    """The no-show rule as published: counted per forwarder over a rolling window.

    A forwarder with `no_show_limit` (3) or more no-shows in the last `no_show_window`
    (30 days), making at least `no_show_share` (10%) of its slots there, loses priority
    booking: it may book a slot only within `restricted_horizon` (24 h) of the slot's
    start; it can still arrive as a walk-in when capacity allows.
    A no-show is a booked slot with no arrival by the slot's end plus the grace period.
    """
    p = policy or AppointmentPolicy()
    days = p.no_show_window.days
    hours = int(p.restricted_horizon.total_seconds() // 3600)
    grace = int(p.no_show_grace.total_seconds() // 60)
    share = round(p.peak_share * 100)
    noshare = round(p.no_show_share * 100)
    return PublishedRule(
        code="no_show_priority_loss",
        text_en=(
            f"A truck that has not arrived {grace} minutes after its slot ends is a no-show. "
            f"A forwarder with {p.no_show_limit} or more no-shows in the last {days} days, "
            f"making at least {noshare}% of its slots there, "
            f"may only book slots starting within {hours} hours (walk-ins still admitted "
            f"when capacity allows). In peak hours no forwarder may hold more than "
            f"{share}% of a slot. When a slot is full, requests join its standby list and "
            f"the earliest request is promoted when a place frees."
        ),
        text_zh=(
            f"时段结束后 {grace} 分钟仍未到场视为爽约。近 {days} 天内爽约 {p.no_show_limit} 次"
            f"及以上且占其时段 {noshare}% 及以上的货代，只能预约 {hours} 小时内开始的时段"
            f"（运力允许时仍可临时入场）。"
            f"高峰时段每家货代占用不得超过该时段的 {share}%。时段已满时进入候补，"
            f"有名额空出时按申请先后递补。"
        ),
        parameters={
            "no_show_limit": str(p.no_show_limit),
            "no_show_window_days": str(days),
            "no_show_share_percent": str(noshare),
            "restricted_horizon_hours": str(hours),
            "no_show_grace_minutes": str(grace),
            "peak_share_percent": str(share),
        },
    )


# -- queries -----------------------------------------------------------------------------


def occupied(book: AppointmentBook, resource_id: str, slot_start: datetime) -> int:
    """How many places of a slot are taken (booked or arrived, walk-ins included)."""
    return len(_in_slot(book, resource_id, slot_start, OCCUPYING))


def standby_list(
    book: AppointmentBook, resource_id: str, slot_start: datetime
) -> list[Appointment]:
    """The slot's standby list in promotion order (earliest request first)."""
    return _in_slot(book, resource_id, slot_start, frozenset({A.STANDBY}))


def peak_quota(resource: Resource, policy: AppointmentPolicy) -> int:
    """Places one forwarder may hold in a peak hour (at least one)."""
    return max(1, int(resource.capacity_per_hour * policy.peak_share))


def no_show_count(book: AppointmentBook, forwarder: str, *, now: datetime) -> int:
    """No-shows of the forwarder inside the rolling window ending now."""
    since = now - book.policy.no_show_window
    return sum(1 for n in book.no_shows if n.forwarder == forwarder and n.slot_start >= since)


def priority_suspended(book: AppointmentBook, forwarder: str, *, now: datetime) -> bool:
    """Whether the fairness rule currently restricts this forwarder: enough no-shows, and
    enough of them for its volume."""
    missed = no_show_count(book, forwarder, now=now)
    if missed < book.policy.no_show_limit:
        return False
    since = now - book.policy.no_show_window
    slots = sum(
        1
        for a in book.appointments.values()
        if a.forwarder == forwarder
        and since <= a.slot_start <= now
        and a.status in {A.ARRIVED, A.NO_SHOW}
    )
    return missed >= book.policy.no_show_share * max(slots, missed)


# -- commands ----------------------------------------------------------------------------


def book_slot(book: AppointmentBook, request: BookingRequest, *, now: datetime) -> Appointment:
    """Book a slot, or join its standby list when it is full (see `Appointment.status`)."""
    _require_aware(now, "now")
    resource, slot = _check_request(book, request, now=now, moving=None)
    status = (
        A.BOOKED if occupied(book, resource.id, slot) < resource.capacity_per_hour else A.STANDBY
    )
    appointment = Appointment(
        id=request.appointment_id,
        forwarder=request.forwarder,
        declaration_id=request.declaration_id,
        plate=request.plate,
        resource_id=resource.id,
        slot_start=slot,
        status=status,
        requested_at=now,
        sequence=book.next_sequence,
    )
    book.next_sequence += 1
    book.appointments[appointment.id] = appointment
    return appointment


#: The brief's name for booking; `book_slot` avoids shadowing the `book` argument.
book = book_slot


def cancel(
    book: AppointmentBook, appointment_id: str, *, forwarder: str, now: datetime
) -> ChangeOutcome:
    """Cancel a booking or standby entry before its slot starts; promote standby fairly."""
    _require_aware(now, "now")
    appointment = _own_active(book, appointment_id, forwarder, now)
    freed = appointment.status is A.BOOKED
    appointment.status = A.CANCELLED
    appointment.cancelled_at = now
    promoted = (
        _promote(book, appointment.resource_id, appointment.slot_start, now) if freed else None
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
    _require_aware(now, "now")
    appointment = _own_active(book, appointment_id, forwarder, now)
    request = BookingRequest(
        appointment.id,
        appointment.forwarder,
        appointment.declaration_id,
        appointment.plate,
        appointment.resource_id,
        new_slot_start,
    )
    resource, slot = _check_request(book, request, now=now, moving=appointment)
    if occupied(book, resource.id, slot) >= resource.capacity_per_hour:
        _refuse(
            "slot_start",
            "slot_full",
            "the requested slot is full; the current appointment is kept",
            "目标时段已满，原预约保留",
        )
    old_slot, was_booked = appointment.slot_start, appointment.status is A.BOOKED
    appointment.slot_start = slot
    appointment.status = A.BOOKED
    promoted = _promote(book, resource.id, old_slot, now) if was_booked else None
    return ChangeOutcome(appointment, promoted)


def walk_in(book: AppointmentBook, request: BookingRequest, *, now: datetime) -> Appointment:
    """Admit a truck without appointment into the current hour when a place is free.

    `request.slot_start` is ignored: the slot is the hour the truck arrives in.
    """
    _require_aware(now, "now")
    slot = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    current = BookingRequest(
        request.appointment_id,
        request.forwarder,
        request.declaration_id,
        request.plate,
        request.resource_id,
        slot,
    )
    resource, slot = _check_request(book, current, now=now, moving=None, walk_in=True)
    if occupied(book, resource.id, slot) >= resource.capacity_per_hour:
        _refuse(
            "resource_id",
            "no_capacity_for_walk_in",
            "no free place in the current hour; walk-ins are admitted only when capacity allows",
            "当前时段无空余名额，仅在运力允许时接受临时入场",
        )
    appointment = Appointment(
        id=current.appointment_id,
        forwarder=current.forwarder,
        declaration_id=current.declaration_id,
        plate=current.plate,
        resource_id=resource.id,
        slot_start=slot,
        status=A.ARRIVED,
        requested_at=now,
        sequence=book.next_sequence,
        walk_in=True,
        arrived_at=now,
    )
    book.next_sequence += 1
    book.appointments[appointment.id] = appointment
    return appointment


def check_in(book: AppointmentBook, appointment_id: str, *, now: datetime) -> Appointment:
    """Record the truck's arrival for a booking, from early arrival to the end of grace."""
    _require_aware(now, "now")
    appointment = _get(book, appointment_id)
    if appointment.status is not A.BOOKED:
        _refuse(
            "appointment_id",
            "appointment_not_booked",
            f"appointment is '{appointment.status}', only a booked appointment can arrive",
            f"预约状态为「{appointment.status}」，只有已预约的车辆可以报到",
        )
    opens = appointment.slot_start - book.policy.early_arrival
    closes = appointment.slot_start + SLOT_LENGTH + book.policy.no_show_grace
    if not opens <= now < closes:
        _refuse(
            "now",
            "outside_arrival_window",
            "arrival is accepted from 30 minutes before the slot to the end of the grace period",
            "仅在时段开始前至宽限期结束之间可报到",
        )
    appointment.status = A.ARRIVED
    appointment.arrived_at = now
    return appointment


def record_no_shows(book: AppointmentBook, *, now: datetime) -> list[NoShow]:
    """Mark booked slots past their grace period as no-shows; expire stale standby entries."""
    _require_aware(now, "now")
    recorded: list[NoShow] = []
    for appointment in sorted(book.appointments.values(), key=lambda a: a.sequence):
        if appointment.slot_start + SLOT_LENGTH + book.policy.no_show_grace > now:
            continue
        if appointment.status is A.BOOKED:
            appointment.status = A.NO_SHOW
            no_show = NoShow(appointment.id, appointment.forwarder, appointment.slot_start, now)
            book.no_shows.append(no_show)
            recorded.append(no_show)
        elif appointment.status is A.STANDBY:
            appointment.status = A.EXPIRED
    return recorded


# -- rules -------------------------------------------------------------------------------


def _check_request(
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
        _refuse(
            "resource_id",
            "unknown_resource",
            f"no bookable resource '{request.resource_id}'",
            f"不存在可预约资源「{request.resource_id}」",
        )
    start = request.slot_start
    if start.tzinfo is None or start.utcoffset() is None:
        _refuse("slot_start", "naive_datetime", "slot start needs a time zone", "时段开始须带时区")
    slot = start.astimezone(UTC)
    found: list[Violation] = []
    if slot.minute or slot.second or slot.microsecond:
        found.append(
            _v("slot_start", "slot_not_on_hour", "slots start on the hour", "时段须整点开始")
        )
    if not walk_in and slot <= now:
        found.append(
            _v("slot_start", "slot_in_past", "the slot has already started", "该时段已开始或已过")
        )
    local_hour = slot.astimezone(resource.tz).hour
    if not resource.opens_hour <= local_hour < resource.closes_hour:
        found.append(
            _v(
                "slot_start",
                "outside_opening_hours",
                f"'{resource.id}' is open {resource.opens_hour:02d}:00-"
                f"{resource.closes_hour:02d}:00 local time",
                f"「{resource.id}」开放时间为当地 {resource.opens_hour:02d}:00-"
                f"{resource.closes_hour:02d}:00",
            )
        )
    if moving is None:
        if request.appointment_id in book.appointments:
            found.append(
                _v(
                    "appointment_id",
                    "duplicate_appointment_id",
                    "this appointment id is already used",
                    "预约编号已被使用",
                )
            )
        if any(
            a.declaration_id == request.declaration_id and a.status in OCCUPYING | {A.STANDBY}
            for a in book.appointments.values()
        ):
            found.append(
                _v(
                    "declaration_id",
                    "declaration_already_booked",
                    "this declaration already has an appointment or standby entry",
                    "该报关单已有预约或候补",
                )
            )
    if (
        not walk_in
        and priority_suspended(book, request.forwarder, now=now)
        and slot - now > book.policy.restricted_horizon
    ):
        rule = fairness_rule(book.policy)
        found.append(
            _v(
                "forwarder",
                rule.code,
                f"priority booking suspended: {rule.text_en}",
                f"已暂停优先预约：{rule.text_zh}",
            )
        )
    if local_hour in resource.peak_hours:
        quota = peak_quota(resource, book.policy)
        held = sum(
            1
            for a in _in_slot(book, resource.id, slot, OCCUPYING | {A.STANDBY})
            if a.forwarder == request.forwarder and a is not moving
        )
        if held >= quota:
            share = round(book.policy.peak_share * 100)
            found.append(
                _v(
                    "forwarder",
                    "peak_quota_exceeded",
                    f"in peak hours a forwarder may hold at most {quota} place(s) "
                    f"({share}% of the slot)",
                    f"高峰时段每家货代最多占用 {quota} 个名额（该时段的 {share}%）",
                )
            )
    if found:
        raise InvalidInput(found)
    return resource, slot


def _promote(
    book: AppointmentBook, resource_id: str, slot: datetime, now: datetime
) -> Appointment | None:
    """Give a freed place to the earliest standby entry whose forwarder is within quota."""
    resource = book.resources[resource_id]
    if occupied(book, resource_id, slot) >= resource.capacity_per_hour:
        return None
    peak = slot.astimezone(resource.tz).hour in resource.peak_hours
    quota = peak_quota(resource, book.policy)
    for entry in standby_list(book, resource_id, slot):
        held = sum(
            1
            for a in _in_slot(book, resource_id, slot, OCCUPYING)
            if a.forwarder == entry.forwarder
        )
        if peak and held >= quota:
            continue
        entry.status = A.BOOKED
        entry.promoted_at = now
        return entry
    return None


def _own_active(
    book: AppointmentBook, appointment_id: str, forwarder: str, now: datetime
) -> Appointment:
    appointment = _get(book, appointment_id)
    found: list[Violation] = []
    if appointment.forwarder != forwarder:
        found.append(
            _v(
                "forwarder",
                "not_your_appointment",
                "the appointment belongs to another forwarder",
                "该预约属于其他货代",
            )
        )
    if appointment.status not in (A.BOOKED, A.STANDBY):
        found.append(
            _v(
                "appointment_id",
                "appointment_not_active",
                f"appointment is '{appointment.status}' and can no longer be changed",
                f"预约状态为「{appointment.status}」，不能再更改",
            )
        )
    elif appointment.slot_start <= now:
        found.append(
            _v(
                "appointment_id",
                "slot_already_started",
                "the slot has already started",
                "该时段已开始",
            )
        )
    if found:
        raise InvalidInput(found)
    return appointment


def _get(book: AppointmentBook, appointment_id: str) -> Appointment:
    appointment = book.appointments.get(appointment_id)
    if appointment is None:
        _refuse(
            "appointment_id",
            "unknown_appointment",
            f"no appointment '{appointment_id}'",
            f"不存在预约「{appointment_id}」",
        )
    return appointment


def _in_slot(
    book: AppointmentBook,
    resource_id: str,
    slot_start: datetime,
    statuses: frozenset[AppointmentStatus],
) -> list[Appointment]:
    slot = slot_start.astimezone(UTC)
    found = [
        a
        for a in book.appointments.values()
        if a.resource_id == resource_id and a.slot_start == slot and a.status in statuses
    ]
    return sorted(found, key=lambda a: a.sequence)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        _refuse(name, "naive_datetime", f"{name} needs a time zone", f"{name} 须带时区")


def _v(field_path: str, code: str, en: str, zh: str) -> Violation:
    return Violation(field_path, code, en, zh)


def _refuse(field_path: str, code: str, en: str, zh: str) -> NoReturn:
    raise InvalidInput([_v(field_path, code, en, zh)])
