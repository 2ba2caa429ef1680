"""The `AppointmentStore` of the appointment handlers, on the unit of work's connection.

A command first locks the rows of the slots it touches (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite writers are serialised by `BEGIN IMMEDIATE`), creating a missing row in
a savepoint so that a twin who created it first only makes us wait. Then it reads the slot's
live appointments: whoever locks second sees the first one's booking. The `booked` counter
is written back under a CHECK `booked <= capacity`, and a declaration's live appointment is
unique (`active_declaration_id`), so the database has the last word on both races.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from landport.adapters.db.appointment_tables import appointment_slots, appointments
from landport.adapters.db.planner import not_indexed
from landport.adapters.db.yard_tables import truck_visits, visit_steps
from landport.yard.appointment_book import AppointmentBook, SlotKey
from landport.yard.appointment_model import (
    HOLDING,
    OCCUPYING,
    Appointment,
    AppointmentPolicy,
    AppointmentStatus,
    Resource,
    Standing,
)

A = AppointmentStatus
_HOLDING = [s.value for s in HOLDING]
_OCCUPYING = [s.value for s in OCCUPYING]
# The reads of every booking, built once (building costs more than running them).
_SLOT_IS = (appointment_slots.c.resource_id == bindparam("resource_id")) & (
    appointment_slots.c.slot_start == bindparam("slot_start")
)
_LOCK_SLOT = select(appointment_slots.c.next_sequence).where(_SLOT_IS).with_for_update()
_HOLDING_IN_SLOT = select(appointments).where(
    appointments.c.resource_id == bindparam("resource_id"),
    appointments.c.slot_start == bindparam("slot_start"),
    not_indexed(appointments.c.status).in_(_HOLDING),  # the slot's own, not the hour's
)
_OF_DECLARATION = select(appointments).where(
    appointments.c.active_declaration_id == bindparam("declaration_id")
)
_STANDING = (
    select(appointments.c.status, func.count())
    .where(
        appointments.c.forwarder == bindparam("forwarder"),
        appointments.c.slot_start >= bindparam("since"),
        appointments.c.slot_start <= bindparam("now"),
        appointments.c.status.in_([A.NO_SHOW.value, A.ARRIVED.value]),
    )
    .group_by(appointments.c.status)
)
_APPOINTMENT = select(appointments).where(appointments.c.id == bindparam("appointment_id"))


def lock_slot(conn: Connection, key: SlotKey) -> int | None:
    """Lock the slot's row until commit, as every booking and the no-show sweep do; its
    `next_sequence`, or None when the slot has no row yet."""
    resource_id, slot = key
    where = {"resource_id": resource_id, "slot_start": slot}
    found = conn.execute(_LOCK_SLOT, where).scalar_one_or_none()
    return None if found is None else int(found)


def lock_booked_slots(conn: Connection, declaration_ids: Iterable[str]) -> None:
    """Lock the slots of the declarations' booked appointments (in the order `open_book`
    takes them, so that neither waits for the other in a cycle): a truck's gate-in holds
    them until it commits, and the no-show sweep of those slots then reads its gate-in."""
    ids = sorted(set(declaration_ids))
    if not ids:
        return
    query = select(appointments.c.resource_id, appointments.c.slot_start).where(
        appointments.c.active_declaration_id.in_(ids), appointments.c.status == A.BOOKED.value
    )
    for key in sorted({(str(r[0]), r[1]) for r in conn.execute(query)}):
        lock_slot(conn, key)


def to_appointment(r: Mapping[Any, Any]) -> Appointment:
    return Appointment(
        id=r["id"],
        forwarder=r["forwarder"],
        declaration_id=r["declaration_id"],
        plate=r["plate"],
        resource_id=r["resource_id"],
        slot_start=r["slot_start"],
        status=A(r["status"]),
        requested_at=r["requested_at"],
        sequence=int(r["sequence"]),
        walk_in=bool(r["walk_in"]),
        promoted_at=r["promoted_at"],
        arrived_at=r["arrived_at"],
        cancelled_at=r["cancelled_at"],
        no_show_at=r["no_show_at"],
        note=r["note"],
    )


class SqlAppointmentStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._stored: set[str] = set()
        self._locked: dict[SlotKey, int] = {}  # slot -> next_sequence as read

    # --- locking and loading ---------------------------------------------------------------

    def _lock(self, key: SlotKey, capacity: int) -> int:
        resource_id, slot = key
        where = {"resource_id": resource_id, "slot_start": slot}
        found = lock_slot(self._conn, key)
        if found is None:
            try:
                with self._conn.begin_nested():
                    self._conn.execute(
                        insert(appointment_slots).values(
                            resource_id=resource_id,
                            slot_start=slot,
                            capacity=capacity,
                            booked=0,
                            next_sequence=1,
                        )
                    )
            except IntegrityError:
                pass  # a twin created it first: its row is locked until it commits
            found = self._conn.execute(_LOCK_SLOT, where).scalar_one()
        return int(found)

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
        book = AppointmentBook(resources=dict(resources), policy=policy)
        keys = sorted(set(slots))
        self._locked = {}
        for key in keys:
            resource = resources.get(key[0])
            capacity = resource.capacity_per_hour if resource is not None else 0
            self._locked[key] = self._lock(key, capacity)
        rows: dict[str, Appointment] = {}
        for resource_id, slot in keys:
            where = {"resource_id": resource_id, "slot_start": slot}
            for r in self._conn.execute(_HOLDING_IN_SLOT, where).mappings():
                rows[r["id"]] = to_appointment(r)
        if declaration_id is not None:
            of = {"declaration_id": declaration_id}
            for r in self._conn.execute(_OF_DECLARATION, of).mappings():
                rows.setdefault(r["id"], to_appointment(r))
        book.load(rows.values())
        self._stored.update(rows)
        book.next_sequence = max(self._locked.values(), default=1)
        if forwarder is not None:
            book.standing_base[forwarder] = self.standing(forwarder, policy, now=now)
        return book

    def standing(self, forwarder: str, policy: AppointmentPolicy, *, now: datetime) -> Standing:
        counts: dict[str, int] = dict(
            self._conn.execute(
                _STANDING,
                {"forwarder": forwarder, "since": now - policy.no_show_window, "now": now},
            ).all()
        )
        return Standing(int(counts.get(A.NO_SHOW.value, 0)), int(counts.get(A.ARRIVED.value, 0)))

    def get(self, appointment_id: str) -> Appointment | None:
        found = self._conn.execute(_APPOINTMENT, {"appointment_id": appointment_id})
        r = found.mappings().one_or_none()
        return None if r is None else to_appointment(r)

    def occupancy(self, resource_id: str, since: datetime, until: datetime) -> dict[datetime, int]:
        rows = self._conn.execute(
            select(appointments.c.slot_start, func.count())
            .where(
                appointments.c.resource_id == resource_id,
                appointments.c.slot_start >= since,
                appointments.c.slot_start < until,
                appointments.c.status.in_(_OCCUPYING),
            )
            .group_by(appointments.c.slot_start)
        ).all()
        return {r[0]: int(r[1]) for r in rows}

    def due_for_sweep(self, cutoff: datetime) -> list[SlotKey]:
        rows = self._conn.execute(
            select(appointments.c.resource_id, appointments.c.slot_start)
            .where(
                appointments.c.status.in_([A.BOOKED.value, A.STANDBY.value]),
                appointments.c.slot_start <= cutoff,
            )
            .distinct()
        ).all()
        return sorted((str(r[0]), r[1]) for r in rows)

    def gate_ins(self, declaration_ids: Iterable[str]) -> dict[str, datetime]:
        ids = sorted(set(declaration_ids))
        if not ids:
            return {}
        rows = self._conn.execute(
            select(truck_visits.c.declaration_id, func.min(visit_steps.c.at))
            .join_from(truck_visits, visit_steps, visit_steps.c.visit_id == truck_visits.c.id)
            .where(  # the visits' own steps, not every gate-in ever made
                truck_visits.c.declaration_id.in_(ids),
                not_indexed(visit_steps.c.status) == "gated_in",
            )
            .group_by(truck_visits.c.declaration_id)
        ).all()
        return {str(r[0]): r[1] for r in rows}

    # --- writing ---------------------------------------------------------------------------

    def _columns(self, a: Appointment) -> dict[str, Any]:
        return {
            "forwarder": a.forwarder,
            "declaration_id": a.declaration_id,
            "active_declaration_id": a.declaration_id if a.status in HOLDING else None,
            "plate": a.plate,
            "resource_id": a.resource_id,
            "slot_start": a.slot_start,
            "status": a.status.value,
            "sequence": a.sequence,
            "walk_in": a.walk_in,
            "requested_at": a.requested_at,
            "promoted_at": a.promoted_at,
            "arrived_at": a.arrived_at,
            "cancelled_at": a.cancelled_at,
            "no_show_at": a.no_show_at,
            "note": a.note,
        }

    def save(self, book: AppointmentBook, *, requested_by: str) -> None:
        # Leavers first, so a declaration's unique live row is freed before it is taken.
        order = sorted(book.touched, key=lambda i: book.appointments[i].status in HOLDING)
        for ident in order:
            a = book.appointments[ident]
            if ident in self._stored:
                self._conn.execute(
                    update(appointments)
                    .where(appointments.c.id == ident)
                    .values(**self._columns(a))
                )
            else:
                self._conn.execute(
                    insert(appointments).values(
                        id=ident, requested_by=requested_by, **self._columns(a)
                    )
                )
                self._stored.add(ident)
        for key, next_sequence in self._locked.items():
            resource = book.resources.get(key[0])
            booked = book.occupied(*key)
            capacity = resource.capacity_per_hour if resource is not None else booked
            self._conn.execute(
                update(appointment_slots)
                .where(
                    appointment_slots.c.resource_id == key[0],
                    appointment_slots.c.slot_start == key[1],
                )
                .values(
                    booked=booked,
                    capacity=capacity,
                    next_sequence=max(next_sequence, book.next_sequence),
                )
            )
        book.touched.clear()


def appointment_store(uow: Any) -> SqlAppointmentStore:
    """The store of a `SqlUnitOfWork`: same connection, same transaction."""
    return SqlAppointmentStore(uow.conn)
