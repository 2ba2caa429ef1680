"""Every state change lands in the hash-chained audit log; any edit to it is detected."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from goods import furniture_payload, primary_lithium_payload
from landport.adapters.db import audit
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from world import World


@pytest.fixture
def busy_world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    w.without_random_selection()
    for _ in range(3):
        w.lodge(furniture_payload(), submit=True)
    red = w.lodge(primary_lithium_payload(), submit=True).json()
    w.post("officer", f"/api/v1/declarations/{red['id']}/hold", {"reason": "docs missing"})
    yield w
    w.close()


def test_every_state_change_is_audited_and_the_chain_is_intact(busy_world: World) -> None:
    report = busy_world.get("auditor", "/api/v1/audit/verify").json()
    assert report["intact"] is True
    entries = busy_world.get("auditor", "/api/v1/audit", params={"limit": 1000}).json()["items"]
    actions = [e["action"] for e in entries]
    assert actions.count("declaration.lodged") == 4
    assert actions.count("declaration.submitted") == 4
    assert "declaration.hold" in actions
    assert report["entries"] == len(entries)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))


def _engine(world: World):  # type: ignore[no-untyped-def]
    return world.services.engine


def test_an_altered_entry_is_named(busy_world: World) -> None:
    with _engine(busy_world).begin() as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 5).values(actor="mallory"))
    report = verify_audit(_engine(busy_world))
    assert (report.intact, report.first_broken_seq) == (False, 5)


def test_a_deleted_entry_is_named(busy_world: World) -> None:
    with _engine(busy_world).begin() as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq == 7))
    report = verify_audit(_engine(busy_world))
    assert (report.intact, report.first_broken_seq) == (False, 7)


def test_a_deleted_tail_is_detected_by_the_head(busy_world: World) -> None:
    with _engine(busy_world).begin() as conn:
        last = conn.execute(select(t.audit_head.c.seq)).scalar_one()
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq == last))
    report = verify_audit(_engine(busy_world))
    assert report.intact is False
    assert report.first_broken_seq == last


def test_an_inserted_entry_is_named(busy_world: World) -> None:
    with _engine(busy_world).begin() as conn:
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq)).mappings().all()
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq >= 3))
        forged = dict(rows[2])
        forged.update(actor="mallory", action="declaration.release")
        conn.execute(insert(t.audit_log).values(**forged))
        for row in rows[3:]:
            conn.execute(insert(t.audit_log).values(**dict(row)))
    report = verify_audit(_engine(busy_world))
    assert (report.intact, report.first_broken_seq) == (False, 3)


def test_a_deleted_head_is_itself_a_break(busy_world: World) -> None:
    """The head is what reveals entries deleted from the end: deleting the head as well
    must not pass for a clean chain."""
    engine = busy_world.services.engine
    with engine.begin() as conn:
        last = conn.execute(select(t.audit_head.c.seq)).scalar_one()
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq > last - 3))
        conn.execute(delete(t.audit_head))
    report = verify_audit(engine)
    assert not report.intact and report.reason == "the chain head is missing"


def test_entries_written_while_the_chain_is_read_are_not_taken_for_tampering(
    busy_world: World,
) -> None:
    """The head and the entries are read in one snapshot: a writer committing in between
    (the platform never stops) leaves the check intact."""
    engine = busy_world.services.engine
    original = audit._stream_rows

    def slow_stream(conn: Any, batch: int = 20_000) -> Iterator[tuple[Any, ...]]:
        # Another process commits new entries after the head was read.
        busy_world.lodge(furniture_payload())
        yield from original(conn, batch)

    audit._stream_rows = slow_stream  # type: ignore[assignment]
    try:
        report = verify_audit(busy_world.services.read_engine)
    finally:
        audit._stream_rows = original  # type: ignore[assignment]
    assert report.intact, report
    assert verify_audit(engine).intact
