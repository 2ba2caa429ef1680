"""A client that timed out sends its request again, with the same Idempotency-Key, while the
first is still running: the retry waits for the first and answers what it answered. The
command acts once (on PostgreSQL the retry used to lose a row lock or a version to its twin
and hear 409 Conflict)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, current_thread
from typing import Any

import pytest
from sqlalchemy import func, select

from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from landport.adapters.db.unit_of_work import SqlIdempotencyStore
from landport.adapters.db.yard_tables import truck_visits, visit_holds
from world import World
from yard_world import PLATE, declared, make_world, parked_truck, world

__all__ = ["make_world", "world"]  # fixtures used by the tests below

TWIN = "twin"  # the racing threads' name prefix


@pytest.fixture(autouse=True)
def slow_first_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A twin pauses after looking its key up, so both look before either has stored it."""
    look_up = SqlIdempotencyStore.get

    def slow(self: SqlIdempotencyStore, *args: Any) -> Any:
        found = look_up(self, *args)
        if current_thread().name.startswith(TWIN):
            time.sleep(0.3)
        return found

    monkeypatch.setattr(SqlIdempotencyStore, "get", slow)


def twice(w: World, user: str, path: str, body: Any, key: str) -> list[Any]:
    """The same request, with the same key, sent twice at once."""
    barrier = Barrier(2)

    def send(_: int) -> Any:
        barrier.wait()
        return w.post(user, path, body, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(2, thread_name_prefix=TWIN) as pool:
        return list(pool.map(send, range(2)))


def same_success(answers: list[Any], status: int) -> dict[str, Any]:
    assert [a.status_code for a in answers] == [status, status], [a.text for a in answers]
    first, second = (a.json() for a in answers)
    assert first == second
    body: dict[str, Any] = first
    return body


def count(w: World, table: Any, *where: Any) -> int:
    with w.services.engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(table).where(*where))
        return int(found.scalar_one())


def audited(w: World, action: str) -> int:
    return count(w, t.audit_log, t.audit_log.c.action == action)


def test_a_submission_retried_while_it_runs_is_numbered_and_assessed_once(world: World) -> None:
    draft = world.lodge(furniture_payload()).json()

    answers = twice(world, "exporter", f"/api/v1/declarations/{draft['id']}/submit", None, "s-1")

    declaration = same_success(answers, 200)
    assert declaration["status"] == "released" and declaration["number"]
    assert audited(world, "declaration.submitted") == 1
    assert count(world, t.declarations, t.declarations.c.number.is_not(None)) == 1
    with world.services.engine.connect() as conn:
        taken = conn.execute(select(t.counters.c.value)).scalars().all()
    assert taken == [1]  # the retry took no number of its own
    assert verify_audit(world.services.engine).intact


def test_a_lodging_retried_while_it_runs_creates_one_declaration(world: World) -> None:
    answers = twice(world, "exporter", "/api/v1/declarations", furniture_payload(), "l-1")

    same_success(answers, 201)
    assert count(world, t.declarations) == 1


def test_the_yards_requests_retried_while_they_run_act_once(world: World) -> None:
    declaration = declared(world, furniture_payload())
    body = {"declaration_id": declaration["id"], "plate": PLATE}

    visit = same_success(twice(world, "exporter", "/api/v1/visits", body, "pa-1"), 201)
    assert count(world, truck_visits) == 1

    entered = same_success(
        twice(world, "yardman", "/api/v1/gate/in", {"plate": PLATE}, "gi-1"), 200
    )
    assert entered["id"] == visit["id"]
    assert [s["status"] for s in entered["steps"]].count("gated_in") == 1

    hold = {"kind": "yard", "reason": "papers"}
    path = f"/api/v1/visits/{visit['id']}/holds"
    held = same_success(twice(world, "yardman", path, hold, "h-1"), 201)
    assert len([h for h in held["holds"] if h["active"]]) == 1
    assert count(world, visit_holds) == 1
    assert verify_audit(world.services.engine).intact


def test_a_gate_out_retried_while_it_runs_lets_the_truck_out_once(world: World) -> None:
    visit_id = str(parked_truck(world, PLATE, "EL-0042")["visit_id"])
    assert world.post("yardman", f"/api/v1/visits/{visit_id}/fees-paid").status_code == 200

    answers = twice(world, "yardman", "/api/v1/gate/out", {"plate": PLATE}, "go-1")

    left = same_success(answers, 200)
    assert left["id"] == visit_id and left["status"] == "on_trip"
    assert [s["status"] for s in left["steps"]].count("gated_out") == 1
    assert verify_audit(world.services.engine).intact
