"""The no-show sweep and a booked truck's gate-in at once, on SQLite and PostgreSQL.

The truck gates in a minute before its appointment's deadline; its gate's transaction has
written the gate-in and is still open when the sweep, a minute after the deadline, runs. The
sweep must not mark the truck a no-show: it waits for the gate-in and finds it arrived.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from builders import declarant
from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.adapters.db.appointment_tables import appointments
from landport.adapters.db.audit import verify_audit
from landport.adapters.db.yard_store import SqlVisitStore
from landport.enterprises.model import Actor, Role
from landport.yard.appointment_commands import BookAppointment, SweepNoShows
from landport.yard.commands import GateIn, PreAdvise
from world import World

SLOT = datetime(2026, 5, 5, 6, 0, tzinfo=UTC)  # 14:00 Beijing time at exam-bay-1
DEADLINE = SLOT + timedelta(hours=1, minutes=30)  # the hour and the grace after it
PLATE = "藏D12345"
ADMIN = Actor("admin", Role.PORT_ADMIN)
YARDMAN = Actor("yardman", Role.YARD_OPERATOR)


class GateAndSweepClock:
    """The gate reads a minute before the deadline, the sweep a minute after, anyone else
    the day before."""

    def now(self) -> datetime:
        name = threading.current_thread().name
        if name.startswith("gate"):
            return DEADLINE - timedelta(minutes=1)
        if name.startswith("sweep"):
            return DEADLINE + timedelta(minutes=1)
        return datetime(2026, 5, 4, 0, 0, tzinfo=UTC)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url, clock=GateAndSweepClock())
    w.without_random_selection()
    yield w
    w.close()


def test_a_truck_gated_in_before_its_deadline_is_never_left_a_no_show(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = world.services.bus
    declaration = world.lodge(furniture_payload(), submit=True).json()
    booked = bus.handle(BookAppointment(ADMIN, declaration["id"], "exam-bay-1", SLOT)).result
    bus.handle(PreAdvise(declarant(), declaration["id"], PLATE, booked.id))

    written, sweeping = threading.Event(), threading.Event()
    save = SqlVisitStore.save

    def save_and_hold(self: SqlVisitStore, yv: Any) -> None:
        save(self, yv)
        if threading.current_thread().name.startswith("gate"):
            written.set()  # the gate-in is written, not committed
            assert sweeping.wait(10)
            time.sleep(0.5)  # the sweep runs meanwhile (or waits for this commit)

    monkeypatch.setattr(SqlVisitStore, "save", save_and_hold)

    def sweep() -> Any:
        assert written.wait(10)
        sweeping.set()
        return bus.handle(SweepNoShows(YARDMAN)).result

    with (
        ThreadPoolExecutor(1, thread_name_prefix="gate") as gate,
        ThreadPoolExecutor(1, thread_name_prefix="sweep") as sweeper,
    ):
        gated = gate.submit(lambda: bus.handle(GateIn(YARDMAN, PLATE)).result)
        swept = sweeper.submit(sweep).result(30)
        assert gated.result(30).visit.status.value == "gated_in"

    assert swept == {"no_shows": [], "arrived": [booked.id], "expired": []}
    engine = world.services.engine
    with engine.connect() as conn:
        row = conn.execute(
            select(appointments.c.status, appointments.c.arrived_at).where(
                appointments.c.id == booked.id
            )
        ).one()
        audited = conn.execute(
            select(t.audit_log.c.action).where(t.audit_log.c.entity_id == booked.id)
        ).scalars()
        actions = list(audited)
    assert row.status == "arrived"
    assert row.arrived_at.astimezone(UTC) == DEADLINE - timedelta(minutes=1)
    assert "appointment.arrived" in actions and "appointment.no_show" not in actions
    assert verify_audit(engine).intact
