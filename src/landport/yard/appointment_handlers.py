"""Appointment handlers: book, reschedule, cancel, walk-ins and the no-show sweep.

Built around a store factory (`handling_appointments(store_for, layout)`), like the yard's
handlers: the store locks the slots a command touches and loads only them, the pure book
applies the rules, the store writes back what changed. Every change is audited, standby
promotions included; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from landport.declarations.access import get_actionable
from landport.declarations.model import CustomsDeclaration, DeclarationStatus
from landport.declarations.ports import ClearanceContext
from landport.enterprises.model import Actor, Role, require_role
from landport.inspection.handlers import ReleaseBlocked
from landport.seals.ports import CustodyUnitOfWork
from landport.shared.clock import FIRST_DAY, LAST_DAY, beijing_date
from landport.shared.errors import Conflict, InvalidInput, NotFound, Violation
from landport.yard import appointment_commands as ac
from landport.yard.appointment_book import AppointmentBook, standby_list
from landport.yard.appointment_booking import book_slot, cancel, record_no_shows, reschedule
from landport.yard.appointment_model import (
    HOLDING,
    SLOT_LENGTH,
    Appointment,
    AppointmentPolicy,
    AppointmentStatus,
    BookingRequest,
    Resource,
    refuse,
    resources_from_layout,
)
from landport.yard.appointment_ports import AppointmentStore, AppointmentStoreFor
from landport.yard.appointment_walk_ins import current_slot, walk_in
from landport.yard.model import YardLayout

A = AppointmentStatus
EARLIEST_HORIZON = timedelta(days=7)  # how far "earliest" looks for a free hour
_BOOKERS = (Role.DECLARANT, Role.PORT_ADMIN)  # the port admin books on a caller's behalf
_GATE = (Role.YARD_OPERATOR, Role.PORT_ADMIN)
#: The years a slot may be asked for: earlier hours are past anyway, later ones no hour the
#: yard sells (and near year 9999 a time can no longer be turned into UTC).
SLOT_YEARS = range(FIRST_DAY.year, LAST_DAY.year + 1)
_CLOSED = {
    DeclarationStatus.DRAFT: ("is still a draft: submit it first", "仍为草稿，请先申报"),
    DeclarationStatus.CANCELLED: ("was cancelled", "已撤销"),
    DeclarationStatus.REJECTED: ("was rejected", "已被退单"),
    DeclarationStatus.EXITED: ("has already exited at the border", "已在口岸出境"),
}


class SlotFull(ReleaseBlocked):
    """The hour is full (409): the answer offers its standby list or another hour."""

    code = "slot_full"


def _slot_full(resource: Resource, slot: datetime, waiting: int) -> SlotFull:
    local = slot.astimezone(resource.tz).strftime("%Y-%m-%d %H:00")
    return SlotFull(
        [
            Violation(
                "slot_start",
                "slot_full",
                f"{resource.id} at {local} is full ({waiting} on standby); send "
                "join_standby=true to wait on its standby list, or choose another hour",
                f"{resource.id} {local} 时段已满（候补 {waiting} 人）；"
                "可设置 join_standby=true 进入候补，或选择其他时段",
            )
        ]
    )


def snapshot(a: Appointment) -> dict[str, Any]:
    """What the audit log keeps of an appointment before and after a change."""
    return {
        "status": a.status.value,
        "resource_id": a.resource_id,
        "slot_start": a.slot_start.isoformat(),
        "declaration_id": a.declaration_id,
        "forwarder": a.forwarder,
        "walk_in": a.walk_in,
    }


def _audit(
    uow: CustodyUnitOfWork,
    actor: str,
    action: str,
    a: Appointment,
    before: dict[str, Any] | None,
    detail: str = "",
) -> None:
    uow.audit.append(
        actor=actor,
        action=action,
        entity_type="appointment",
        entity_id=a.id,
        before=before,
        after=snapshot(a),
        detail=detail,
    )


def requested_slot(value: datetime) -> datetime:
    """A slot start as a caller asked for it, refused before anything is read unless it is
    timezone-aware and within SLOT_YEARS; in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        refuse("slot_start", "naive_datetime", "slot start needs a time zone", "时段须带时区")
    if value.year not in SLOT_YEARS:
        first, last = SLOT_YEARS[0], SLOT_YEARS[-1]
        refuse(
            "slot_start",
            "slot_out_of_range",
            f"slot start must be in the years {first} to {last}",
            f"时段须在 {first} 年至 {last} 年之间",
        )
    return value.astimezone(UTC)


def _declaration(
    uow: CustodyUnitOfWork, actor: Actor, declaration_id: str, ctx: ClearanceContext
) -> CustomsDeclaration:
    """The declaration to book for: one the actor may act on today, still open."""
    declaration = get_actionable(uow, actor, declaration_id, beijing_date(ctx.clock.now()))
    closed = _CLOSED.get(declaration.status)
    if closed is not None:
        raise Conflict(
            f"declaration {declaration.id} {closed[0]}: no appointment can be made for it",
            f"报关单 {declaration.id} {closed[1]}，不能预约",
        )
    return declaration


def handling_appointments(
    store_for: AppointmentStoreFor,
    layout: YardLayout | Callable[[Any], YardLayout],
    policy: AppointmentPolicy | None = None,
    *,
    resources: dict[str, Resource] | None = None,
) -> dict[type, Callable[..., Any]]:
    """The appointment handlers, bound to each unit of work's store and to the layout (or to
    resources of their own, as the benchmark sells the lanes). Given as a function of the
    unit of work, the layout is the one in force for the yard (a version the operator put
    in the database wins over the file), read again for each command."""
    rules = policy or AppointmentPolicy()
    fixed = resources
    sold: list[tuple[YardLayout, dict[str, Resource]]] = []  # the layout last seen, its hours

    def resources_for(uow: Any) -> dict[str, Resource]:
        if fixed is not None:
            return fixed
        current = layout(uow) if callable(layout) else layout
        if not sold or sold[0][0] is not current:  # a new version is sold from now on
            sold[:] = [(current, resources_from_layout(current))]
        return sold[0][1]

    def resource_of(resources: dict[str, Resource], resource_id: str) -> Resource:
        resource = resources.get(resource_id)
        if resource is None:
            known = ", ".join(sorted(resources))
            refuse(
                "resource_id",
                "unknown_resource",
                f"no bookable resource '{resource_id}' (bookable: {known})",
                f"不存在可预约资源「{resource_id}」（可预约：{known}）",
            )
        return resource

    def own(
        uow: CustodyUnitOfWork,
        store: AppointmentStore,
        actor: Actor,
        appointment_id: str,
        ctx: ClearanceContext,
    ) -> Appointment:
        """An appointment the actor may change: one of a declaration it may act on
        (`get_actionable`). Officials and the forwarder's own declarants always may; another
        declarant (a customs broker) must see the declaration (else the appointment is not
        found) and act for its consignor today (else ``no_agency_authorisation``)."""
        found = store.get(appointment_id)
        if found is not None:
            try:
                get_actionable(uow, actor, found.declaration_id, beijing_date(ctx.clock.now()))
            except NotFound:  # a declaration the actor may not see: no appointment either
                found = None
        if found is None:
            raise NotFound(
                f"appointment {appointment_id} not found", f"未找到预约 {appointment_id}"
            )
        return found

    def locked(book: AppointmentBook, found: Appointment) -> Appointment:
        """The appointment as read under the slot lock; a finished one is loaded so that the
        book explains why it can no longer change."""
        current = book.appointments.get(found.id)
        if current is not None and current.slot_start == found.slot_start:
            return current
        if current is None and found.status not in HOLDING:
            book.load([found])
            return found
        raise Conflict(
            f"appointment {found.id} changed meanwhile; reload and try again",
            "预约已被他人修改，请刷新后重试",
        )

    def try_book(
        store: AppointmentStore, cmd: ac.BookAppointment, d: CustomsDeclaration, slot: datetime,
        ctx: ClearanceContext, resources: dict[str, Resource], *, earliest: bool,
    ) -> tuple[AppointmentBook, Appointment] | None:  # fmt: skip
        now = ctx.clock.now()
        book = store.open_book(
            resources,
            rules,
            [(cmd.resource_id, slot)],
            forwarder=d.enterprise_uscc,
            declaration_id=d.id,
            now=now,
        )
        request = BookingRequest(
            ctx.new_id(), d.enterprise_uscc, d.id, d.content.vehicle_plate, cmd.resource_id, slot
        )
        try:
            made = book_slot(book, request, now=now)
        except InvalidInput as exc:
            forwarder_only = all(v.field == "forwarder" for v in exc.violations)
            if earliest and forwarder_only:
                return None  # quota or horizon of this hour: try a later one
            raise
        if made.status is A.STANDBY and not cmd.join_standby:
            if earliest:
                return None  # taken meanwhile: try a later one
            waiting = len(standby_list(book, cmd.resource_id, slot)) - 1
            raise _slot_full(book.resources[cmd.resource_id], slot, waiting)
        return book, made

    def earliest_hours(
        store: AppointmentStore, resource: Resource, now: datetime
    ) -> list[datetime]:
        first = current_slot(now) + SLOT_LENGTH
        taken = store.occupancy(resource.id, first, first + EARLIEST_HORIZON)
        hours = (first + SLOT_LENGTH * i for i in range(int(EARLIEST_HORIZON / SLOT_LENGTH)))
        return [
            h
            for h in hours
            if resource.is_open(h.astimezone(resource.tz).hour)
            and taken.get(h, 0) < resource.capacity_per_hour
        ]

    def book_appointment(
        cmd: ac.BookAppointment, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> Appointment:
        require_role(cmd.actor, *_BOOKERS)
        asked = None if cmd.slot_start is None else requested_slot(cmd.slot_start)
        declaration = _declaration(uow, cmd.actor, cmd.declaration_id, ctx)
        resources = resources_for(uow)
        resource = resource_of(resources, cmd.resource_id)
        store = store_for(uow)
        if asked is not None:
            candidates, earliest = [asked], False
        else:
            candidates, earliest = earliest_hours(store, resource, ctx.clock.now()), True
        for slot in candidates:
            done = try_book(store, cmd, declaration, slot, ctx, resources, earliest=earliest)
            if done is None:
                continue
            book, made = done
            store.save(book, requested_by=cmd.actor.username)
            _audit(uow, cmd.actor.username, f"appointment.{made.status.value}", made, None)
            return made
        raise Conflict(
            f"no free hour of {resource.id} in the next {EARLIEST_HORIZON.days} days "
            "within your quota; join a standby list or try later",
            f"未来 {EARLIEST_HORIZON.days} 天内 {resource.id} 无可用时段；可加入候补或稍后再试",
        )

    def promoted_audit(uow: CustodyUnitOfWork, promoted: Appointment | None, why: str) -> None:
        if promoted is not None:
            before = {**snapshot(promoted), "status": A.STANDBY.value}
            _audit(uow, "system", "appointment.promoted", promoted, before, why)

    def reschedule_appointment(
        cmd: ac.RescheduleAppointment, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> Appointment:
        require_role(cmd.actor, *_BOOKERS)
        target = requested_slot(cmd.slot_start)
        store = store_for(uow)
        found = own(uow, store, cmd.actor, cmd.appointment_id, ctx)
        now = ctx.clock.now()
        slots = [(found.resource_id, found.slot_start), (found.resource_id, target)]
        book = store.open_book(resources_for(uow), rules, slots, forwarder=found.forwarder, now=now)
        before = snapshot(locked(book, found))
        outcome = reschedule(book, found.id, target, forwarder=found.forwarder, now=now)
        store.save(book, requested_by=cmd.actor.username)
        _audit(uow, cmd.actor.username, "appointment.rescheduled", outcome.appointment, before)
        promoted_audit(uow, outcome.promoted, f"place freed by rescheduling {found.id}")
        return outcome.appointment

    def cancel_appointment(
        cmd: ac.CancelAppointment, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> Appointment:
        require_role(cmd.actor, *_BOOKERS)
        store = store_for(uow)
        found = own(uow, store, cmd.actor, cmd.appointment_id, ctx)
        now = ctx.clock.now()
        slots = [(found.resource_id, found.slot_start)]
        book = store.open_book(resources_for(uow), rules, slots, forwarder=found.forwarder, now=now)
        before = snapshot(locked(book, found))
        outcome = cancel(book, found.id, forwarder=found.forwarder, now=now)
        store.save(book, requested_by=cmd.actor.username)
        _audit(uow, cmd.actor.username, "appointment.cancelled", outcome.appointment, before)
        promoted_audit(uow, outcome.promoted, f"place freed by cancelling {found.id}")
        return outcome.appointment

    def admit_walk_in(
        cmd: ac.AdmitWalkIn, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> Appointment:
        require_role(cmd.actor, *_GATE)
        declaration = _declaration(uow, cmd.actor, cmd.declaration_id, ctx)
        resources = resources_for(uow)
        resource_of(resources, cmd.resource_id)
        now = ctx.clock.now()
        store = store_for(uow)
        book = store.open_book(
            resources,
            rules,
            [(cmd.resource_id, current_slot(now))],
            forwarder=declaration.enterprise_uscc,
            declaration_id=declaration.id,
            now=now,
        )
        request = BookingRequest(
            ctx.new_id(),
            declaration.enterprise_uscc,
            declaration.id,
            declaration.content.vehicle_plate,
            cmd.resource_id,
            now,
        )
        made = walk_in(book, request, now=now, standby_when_full=cmd.standby_when_full)
        store.save(book, requested_by=cmd.actor.username)
        action = "walk_in" if made.status is A.ARRIVED else "walk_in_standby"
        _audit(uow, cmd.actor.username, f"appointment.{action}", made, None, made.note or "")
        return made

    def sweep_no_shows(
        cmd: ac.SweepNoShows, uow: CustodyUnitOfWork, ctx: ClearanceContext
    ) -> dict[str, Any]:
        require_role(cmd.actor, *_GATE)
        now = ctx.clock.now()
        store = store_for(uow)
        due = store.due_for_sweep(now - SLOT_LENGTH - rules.no_show_grace)
        result: dict[str, Any] = {"no_shows": [], "arrived": [], "expired": []}
        if not due:
            return result
        book = store.open_book(resources_for(uow), rules, due, now=now)
        live = [a for a in book.appointments.values() if a.status in (A.BOOKED, A.STANDBY)]
        before = {a.id: snapshot(a) for a in live}
        arrivals = store.gate_ins(a.declaration_id for a in live if a.status is A.BOOKED)
        record_no_shows(book, now=now, arrivals=arrivals)
        changed = sorted(book.touched)
        store.save(book, requested_by=cmd.actor.username)
        keys = {A.NO_SHOW: "no_shows", A.ARRIVED: "arrived", A.EXPIRED: "expired"}
        for ident in changed:
            a = book.appointments[ident]
            _audit(uow, cmd.actor.username, f"appointment.{a.status.value}", a, before[ident])
            result[keys[a.status]].append(a.id)
        return result

    return {
        ac.BookAppointment: book_appointment,
        ac.RescheduleAppointment: reschedule_appointment,
        ac.CancelAppointment: cancel_appointment,
        ac.AdmitWalkIn: admit_walk_in,
        ac.SweepNoShows: sweep_no_shows,
    }
