"""The database decides appointment races, on SQLite and PostgreSQL.

Each booking holds the slot's row lock for a while before it commits, so two bookings of
the last place overlap for certain; the second reads the first one's booking only because
it waited on the lock. The counter's CHECK and the unique live declaration back it up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from goods import furniture_payload
from landport import bootstrap
from landport.adapters.db import tables as t
from landport.adapters.db.appointment_store import SqlAppointmentStore
from landport.adapters.db.appointment_tables import appointment_slots, appointments
from landport.adapters.db.audit import verify_audit
from landport.adapters.reference_files import packaged_layout
from landport.enterprises.model import Actor, Role
from landport.shared.clock import FixedClock
from landport.shared.errors import DomainError
from landport.yard.appointment_commands import BookAppointment, CancelAppointment
from landport.yard.appointment_handlers import handling_appointments
from world import OTHER_USCC, World

NOW = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
SLOT = datetime(2026, 5, 5, 6, 0, tzinfo=UTC)  # 14:00 Beijing time, 2 places at exam-bay-1
ADMIN = Actor("admin", Role.PORT_ADMIN)


class SlowStore(SqlAppointmentStore):
    """Holds the slot lock 0.3 s before booking, so that concurrent bookings overlap."""

    def open_book(self, *args: Any, **kwargs: Any) -> Any:
        book = super().open_book(*args, **kwargs)
        time.sleep(0.3)
        return book


@pytest.fixture
def world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    slow = handling_appointments(lambda uow: SlowStore(uow.conn), packaged_layout())
    for command, handler in slow.items():
        monkeypatch.setitem(bootstrap.HANDLERS, command, handler)
    w = World(database_url, clock=FixedClock(NOW))
    w.without_random_selection()
    yield w
    w.close()


def declared(w: World, user: str) -> str:
    extra = {"consignor_uscc": OTHER_USCC} if user == "competitor" else {}
    response = w.lodge(furniture_payload(**extra), user=user, submit=True)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def attempt(w: World, declaration_id: str) -> str:
    try:
        w.services.bus.handle(BookAppointment(ADMIN, declaration_id, "exam-bay-1", SLOT))
    except DomainError as exc:
        return exc.code
    return "booked"


def test_two_bookings_of_the_last_place_overlap_and_exactly_one_wins(world: World) -> None:
    assert attempt(world, declared(world, "exporter")) == "booked"
    rivals = [declared(world, "exporter"), declared(world, "competitor")]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(lambda d: attempt(world, d), rivals))
    assert outcomes == ["booked", "slot_full"]
    assert time.perf_counter() - started >= 0.6  # the second waited for the first's lock
    with world.services.read_engine.connect() as conn:
        live = conn.execute(
            select(appointments.c.id).where(appointments.c.status == "booked")
        ).all()
        assert len(live) == 2
        assert conn.execute(select(appointment_slots.c.booked)).scalar_one() == 2


def test_one_declaration_booked_twice_at_once_holds_one_appointment(world: World) -> None:
    declaration = declared(world, "exporter")
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(lambda _: attempt(world, declaration), range(2)))
    assert outcomes[0] == "booked" and outcomes[1] in {"conflict", "invalid_input"}
    with world.services.read_engine.connect() as conn:
        rows = conn.execute(
            select(appointments.c.id).where(appointments.c.declaration_id == declaration)
        ).all()
    assert len(rows) == 1


def test_the_slot_counter_can_never_pass_the_capacity(world: World) -> None:
    assert attempt(world, declared(world, "exporter")) == "booked"
    with pytest.raises(IntegrityError), world.services.engine.begin() as conn:
        conn.execute(update(appointment_slots).values(booked=3))  # capacity is 2


def test_a_second_live_appointment_of_a_declaration_is_refused_by_the_database(
    world: World,
) -> None:
    declaration = declared(world, "exporter")
    assert attempt(world, declaration) == "booked"
    with world.services.engine.connect() as conn:
        row = dict(conn.execute(select(appointments)).mappings().one())
    row.update(id="x" * 32, slot_start=SLOT.replace(hour=7))
    with pytest.raises(IntegrityError), world.services.engine.begin() as conn:
        conn.execute(insert(appointments).values(**row))


def test_one_appointment_cancelled_twice_at_once_is_cancelled_and_audited_once(
    world: World,
) -> None:
    declaration = declared(world, "exporter")
    made = world.services.bus.handle(BookAppointment(ADMIN, declaration, "exam-bay-1", SLOT)).result

    def cancel(_: int) -> str:
        try:
            world.services.bus.handle(CancelAppointment(ADMIN, made.id))
        except DomainError as exc:
            return exc.code
        return "cancelled"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(cancel, range(2)))
    assert outcomes[0] == "cancelled" and outcomes[1] in {"conflict", "invalid_input"}
    engine = world.services.engine
    with engine.connect() as conn:
        audited = conn.execute(
            select(func.count()).where(t.audit_log.c.action == "appointment.cancelled")
        ).scalar()
        assert conn.execute(select(appointment_slots.c.booked)).scalar_one() == 0
    assert audited == 1
    assert verify_audit(engine).intact
