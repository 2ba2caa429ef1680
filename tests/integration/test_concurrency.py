"""Races on one declaration: one decision wins, the others get a conflict; nothing doubles."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any

import pytest
from sqlalchemy import func, select

from builders import declarant
from goods import furniture_payload, primary_lithium_payload
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from landport.declarations.commands import DecideDeclaration, DeclareExport, RecordInspection
from landport.enterprises.model import Actor, Role
from landport.messagebus import IdempotencyClaim
from landport.shared.errors import Conflict
from world import World

OFFICERS = [Actor(f"officer{i}", Role.CUSTOMS_OFFICER) for i in range(6)]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    w.without_random_selection()
    yield w
    w.close()


def _race(n: int, action: Callable[[int], Any]) -> list[Any]:
    barrier = Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return action(i)
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_concurrent_decisions_on_one_declaration_one_wins(world: World) -> None:
    bus = world.services.bus
    d = bus.handle(DeclareExport(declarant(), primary_lithium_payload(), submit=True)).result
    now = datetime.now(UTC)
    image = hashlib.sha256(b"image").hexdigest()
    bus.handle(
        RecordInspection(
            OFFICERS[0], d.id, "scan", "clear", now - timedelta(minutes=2), now, image_sha256=image
        )
    )
    # Release and reject exclude each other in any order (a hold does not: a released
    # declaration may still be held), so exactly one may win however the threads interleave.
    decisions = ["release", "reject", "release", "reject", "release", "reject"]
    results = _race(
        6, lambda i: bus.handle(DecideDeclaration(OFFICERS[i], d.id, decisions[i], "race")).result
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, Conflict) for r in results if r not in winners)
    with world.services.uow_factory() as uow:
        final = uow.declarations.get(d.id)
    assert final is not None and final.status.value == winners[0].status.value
    assert final.history[-1].actor == winners[0].history[-1].actor
    assert verify_audit(world.services.engine).intact


def test_concurrent_submissions_get_unique_numbers_and_an_intact_audit_chain(world: World) -> None:
    bus = world.services.bus
    results = _race(
        8, lambda i: bus.handle(DeclareExport(declarant(), furniture_payload(), submit=True)).result
    )
    numbers = [r.number for r in results]
    assert len(set(numbers)) == 8 and all(n and len(n) == 18 for n in numbers)
    report = verify_audit(world.services.engine)
    assert report.intact and report.entries >= 16


def test_the_same_idempotency_key_raced_creates_one_declaration(world: World) -> None:
    bus = world.services.bus
    payload = furniture_payload()

    def lodge(_: int) -> Any:
        claim = IdempotencyClaim(
            "zhang.wei", "declare", "k-1", "digest", 201, lambda d: {"id": d.id}
        )
        outcome = bus.handle(DeclareExport(declarant(), payload), claim)
        return outcome.replayed["id"] if outcome.replayed else outcome.result.id

    ids = _race(6, lodge)
    assert len(set(ids)) == 1
    with world.services.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(t.declarations)).scalar_one()
    assert count == 1
