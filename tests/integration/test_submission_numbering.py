"""Many declarants submit at once: each submission needs one connection of the pool, and
the declaration counter, which moves outside the submission on PostgreSQL, cannot starve it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from sqlalchemy import event, select

from builders import declarant
from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from landport.adapters.db.repositories import SqlRulesetRepository
from landport.declarations.commands import DeclareExport
from world import World

# More submissions than the writer pool holds (10 + 10 overflow) and than it would take
# if each one held two connections, as many as a web worker's threads may bring at once.
SUBMITTERS = 24
POOL_TIMEOUT_S = 30.0  # SQLAlchemy's default wait for a pooled connection


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    w.without_random_selection()
    yield w
    w.close()


def test_more_submissions_at_once_than_the_pool_holds_all_get_numbers_quickly(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL each submission pauses while it holds its unit of work, before it is
    # numbered: every connection of the pool is taken before the first asks for a number.
    # (SQLite's writers take turns, so there a pause would only add up.)
    read_version = SqlRulesetRepository.current_version
    pause = 0.3 if world.services.engine.dialect.name == "postgresql" else 0.0

    def slow_version(self: SqlRulesetRepository) -> int:
        version = read_version(self)
        time.sleep(pause)
        return version

    monkeypatch.setattr(SqlRulesetRepository, "current_version", slow_version)
    bus = world.services.bus
    barrier = Barrier(SUBMITTERS)

    def submit(_: int) -> tuple[Any, float]:
        barrier.wait()
        started = time.perf_counter()
        try:
            declaration = bus.handle(DeclareExport(declarant(), furniture_payload(), submit=True))
            return declaration.result.number, time.perf_counter() - started
        except Exception as exc:  # a pool timeout, say: every failure is reported below
            return exc, time.perf_counter() - started

    with ThreadPoolExecutor(SUBMITTERS) as pool:
        outcomes = list(pool.map(submit, range(SUBMITTERS)))

    failures = [repr(o) for o, _ in outcomes if not isinstance(o, str)]
    assert failures == []
    numbers = [n for n, _ in outcomes]
    assert len(set(numbers)) == SUBMITTERS and all(len(n) == 18 for n in numbers)
    slowest = max(seconds for _, seconds in outcomes)
    assert slowest < POOL_TIMEOUT_S / 3, f"a submission waited {slowest:.1f} s"
    # Nothing rolled back, so the serials are exactly 1..N, whoever came first.
    serials = sorted(int(n[-9:]) for n in numbers)
    assert serials == list(range(1, SUBMITTERS + 1))
    with world.services.engine.connect() as conn:
        stored = conn.execute(select(t.declarations.c.number)).scalars().all()
    assert sorted(stored) == sorted(numbers)
    assert verify_audit(world.services.engine).intact


def test_a_submission_holds_one_connection_of_the_writer_pool_at_a_time(world: World) -> None:
    """Holding one connection while waiting for a second of the same pool is what starves it."""
    engine = world.services.engine
    held = [0]
    peak = [0]

    def out(*_: Any) -> None:
        held[0] += 1
        peak[0] = max(peak[0], held[0])

    def back(*_: Any) -> None:
        held[0] -= 1

    event.listen(engine, "checkout", out)
    event.listen(engine, "checkin", back)
    try:
        declared = world.services.bus.handle(
            DeclareExport(declarant(), furniture_payload(), submit=True)
        ).result
    finally:
        event.remove(engine, "checkout", out)
        event.remove(engine, "checkin", back)
    assert declared.number is not None
    assert peak[0] == 1
