"""Races in the yard: what two clients do at once to one truck happens once, audited once."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, Event, current_thread
from typing import Any

import pytest
from sqlalchemy import func, select

from builders import declarant
from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from landport.adapters.db.yard_store import SqlVisitStore
from landport.adapters.db.yard_tables import parking_occupancy, truck_visits
from landport.enterprises.model import Actor, Role
from landport.seals.commands import RemoveSeal
from landport.shared.errors import Conflict, DomainError
from landport.yard.commands import AssignParking, GateIn, GateOut, PreAdvise
from world import World
from yard_world import (  # noqa: F401
    PLATE,
    YARDMAN,
    arm_seal,
    declared,
    make_world,
    pre_advised,
    world,
)

RACERS = 5


def _race(action: Callable[[], Any]) -> list[Any]:
    barrier = Barrier(RACERS)

    def run(_: int) -> Any:
        barrier.wait()
        try:
            return action()
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(run, range(RACERS)))


def _slowly(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Every racer reads before any writes: the store answers, then waits."""
    read = getattr(SqlVisitStore, name)

    def slow(self: SqlVisitStore, *args: Any) -> Any:
        found = read(self, *args)
        time.sleep(0.2)
        return found

    monkeypatch.setattr(SqlVisitStore, name, slow)


def _count(port: World, where: Any) -> int:
    with port.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(where)).scalar_one())


def test_one_declaration_pre_advised_at_once_from_many_clients_gets_one_visit(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declaration = declared(world, furniture_payload())
    looked = SqlVisitStore.open_for_declaration

    def slow_look(self: SqlVisitStore, declaration_id: str) -> Any:
        found = looked(self, declaration_id)
        time.sleep(0.2)  # every racer has looked before any has written
        return found

    monkeypatch.setattr(SqlVisitStore, "open_for_declaration", slow_look)
    barrier = Barrier(RACERS)

    def announce(_: int) -> Any:
        barrier.wait()
        try:
            return world.services.bus.handle(
                PreAdvise(declarant(), declaration["id"], PLATE)
            ).result
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(announce, range(RACERS)))
    assert sum(not isinstance(r, Conflict) for r in results) == 1
    engine = world.services.engine
    with engine.connect() as conn:
        where = truck_visits.c.declaration_id == declaration["id"]
        visits = conn.execute(select(func.count()).where(where)).scalar()
        audited = conn.execute(
            select(func.count()).where(t.audit_log.c.action == "visit.pre_advised")
        ).scalar()
    assert (visits, audited) == (1, 1)
    assert verify_audit(engine).intact


def test_one_truck_gated_in_at_once_by_two_lanes_enters_once(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    visit = pre_advised(world, declared(world, furniture_payload()))
    _slowly(monkeypatch, "with_plate")
    results = _race(lambda: world.services.bus.handle(GateIn(YARDMAN, PLATE)).result)
    assert sum(not isinstance(r, DomainError) for r in results) == 1
    assert _count(world, truck_visits.c.plate == PLATE) == 1
    assert _count(world, t.audit_log.c.action == "visit.gated_in") == 1
    assert world.get("yardman", f"/api/v1/visits/{visit['id']}").json()["status"] == "gated_in"
    assert verify_audit(world.services.engine).intact


def test_one_truck_parked_at_once_by_two_operators_takes_one_slot(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    visit = pre_advised(world, declared(world, furniture_payload()))
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    _slowly(monkeypatch, "get")
    results = _race(lambda: world.services.bus.handle(AssignParking(YARDMAN, visit["id"])).result)
    assert sum(not isinstance(r, DomainError) for r in results) == 1
    assert _count(world, parking_occupancy.c.visit_id == visit["id"]) == 1
    assert _count(world, t.audit_log.c.action == "visit.parking_assigned") == 1
    assert verify_audit(world.services.engine).intact


def test_a_truck_never_leaves_on_an_e_lock_being_taken_off(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The removal holds the trip and waits while the gate reads the plate: the gate either
    finds the trip ended or fails; never a truck on its way with its lock gone."""
    declaration = declared(world, furniture_payload())
    visit = pre_advised(world, declaration)
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    assert world.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch").status_code == 200
    arm_seal(world, declaration["id"])
    path = f"/api/v1/visits/{visit['id']}"
    assert world.post("yardman", f"{path}/parking").json()["status"] == "departure_scheduled"
    assert world.post("yardman", f"{path}/fees-paid").status_code == 200
    (trip,) = world.get("officer", "/api/v1/trips?active=true").json()["items"]
    holding, looked = Event(), SqlVisitStore.open_for_declaration

    def look_slowly(self: SqlVisitStore, declaration_id: str) -> Any:
        found = looked(self, declaration_id)
        if current_thread().name.startswith("unseal"):
            holding.set()  # the trip is locked (PostgreSQL) or the write lock held (SQLite)
            time.sleep(0.5)
        return found

    monkeypatch.setattr(SqlVisitStore, "open_for_declaration", look_slowly)
    officer = Actor("officer", Role.CUSTOMS_OFFICER)
    with ThreadPoolExecutor(1, thread_name_prefix="unseal") as pool:
        removal = pool.submit(
            world.services.bus.handle, RemoveSeal(officer, trip["id"], "faulty lock")
        )
        assert holding.wait(10)
        with pytest.raises(DomainError):
            world.services.bus.handle(GateOut(YARDMAN, PLATE))
        assert removal.result().result["trip_state"] == "unsealed"
    assert world.get("yardman", path).json()["status"] == "departure_scheduled"
    assert _count(world, t.audit_log.c.action == "visit.gated_out") == 0
    assert verify_audit(world.services.engine).intact
