"""Queries a port runs every day must not slow down as its history grows.

SQLite keeps no statistics unless asked, so its planner can pick an index that matches a
condition but grows with the history (every gate-in step ever made) over the one that finds
a handful of rows. These read the plan SQLite chose; PostgreSQL plans by its statistics.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import Engine as AnyEngine

from conftest import PostgresDatabases
from goods import furniture_payload, primary_lithium_payload
from landport.adapters.db import tables as t
from landport.adapters.db.appointment_store import SqlAppointmentStore
from landport.adapters.db.custody import SqlTripRepository
from landport.adapters.db.migrate import upgrade
from landport.adapters.db.retention import purge_positions
from landport.adapters.telemetry.position_store import active_trips
from landport.simulation.runner import run_simulation
from landport.simulation.scenario import load_scenario
from world import World

#: Tables that grow with every truck, trip and fix the port ever handled.
HISTORY_TABLES = frozenset(
    {
        "alerts", "appointments", "audit_log", "declaration_events", "declarations",
        "inspections", "positions", "trips", "truck_visits", "visit_steps",
    }
)  # fmt: skip
#: Indexes that hold only what is under way, so walking one whole is a bounded read.
BOUNDED_INDEXES = frozenset({"ix_trips_active", "uq_trips_one_active_per_declaration"})
#: Indexes a list walks in its own order, stopping at the end of the page (with a LIMIT).
PAGE_ORDER_INDEXES = frozenset(
    {
        "ix_declarations_created", "ix_trips_armed", "ix_alerts_opened",
        "ix_truck_visits_created", "ix_appointments_slot_start",
    }
)  # fmt: skip
#: Status indexes every old row stays in: used with a time range, or they walk the history.
STATUS_TIME_INDEXES = ("ix_visit_steps_status_at", "ix_declaration_events_status_at")
#: Statements that read a history whole on purpose: the run's closing figures and the audit
#: chain's check (and, below, the unfiltered total a paged list shows).
WHOLE_READS = (
    "SELECT alerts.trip_id, alerts.kind, alerts.severity",
    "SELECT seq, at, actor, action, entity_type, entity_id",
)


class PlanGuard:
    """Explains every distinct statement run while installed (`plans`, in the order run);
    keeps apart those that would read more of a history table the longer the port runs."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.plans: dict[str, list[str]] = {}
        self.unbounded: dict[str, list[str]] = {}

    def of(self, prefix: str) -> list[list[str]]:
        """The plans of the statements starting with `prefix`."""
        return [plan for text, plan in self.plans.items() if text.startswith(prefix)]

    def __enter__(self) -> PlanGuard:
        event.listen(AnyEngine, "before_cursor_execute", self._explain)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(AnyEngine, "before_cursor_execute", self._explain)

    def _explain(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        text = " ".join(statement.split())
        if many or text in self.seen or not text.startswith(("SELECT", "UPDATE", "DELETE")):
            return
        self.seen.add(text)
        if conn.dialect.name != "sqlite" or text.startswith(WHOLE_READS):
            return
        if text.startswith("SELECT count(*)") and " WHERE " not in text:
            return  # a list's total of everything, counted over a narrow index
        rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, params)
        self.plans[text] = [str(r[-1]) for r in rows]
        bad = [step for step in self.plans[text] if unbounded(step, text)]
        if bad:
            self.unbounded[text[:160]] = bad


def unbounded(step: str, statement: str) -> bool:
    """`SCAN trips` reads a table whole and `SCAN trips USING INDEX ix` a whole index (older
    SQLite says `SCAN TABLE trips`), unless the index holds only what is under way or a
    page is read in its order; `SEARCH ... ix_visit_steps_status_at (status=?)` walks every
    such step ever made."""
    words = step.replace("SCAN TABLE ", "SCAN ").split()
    if any(f"{ix} (status=?)" in step for ix in STATUS_TIME_INDEXES):
        return True
    if len(words) < 2 or words[0] != "SCAN" or words[1] not in HISTORY_TABLES:
        return False
    index = words[-1] if "INDEX" in words else None
    if index in BOUNDED_INDEXES:
        return False
    # in its own order, a list without a filter stops at the end of the page; with one,
    # the page may never fill and the walk goes on through the history
    paged = " LIMIT " in statement and " WHERE " not in statement
    return not (index in PAGE_ORDER_INDEXES and paged)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    upgrade(url)
    engine = create_engine(url)
    yield engine
    engine.dispose()


def test_a_booked_trucks_gate_in_is_found_through_its_own_visit(engine: Engine) -> None:
    with PlanGuard() as guard, engine.connect() as conn:
        assert SqlAppointmentStore(conn).gate_ins(["D1", "D2"]) == {}
    [plan] = guard.of("SELECT truck_visits.declaration_id, min(visit_steps.at)")
    assert any("ix_truck_visits_declaration" in step for step in plan), plan
    assert any("ix_visit_steps_visit_id" in step for step in plan), plan
    assert not any("ix_visit_steps_status_at" in step for step in plan), plan


def test_the_nightly_purge_reads_only_old_positions_and_active_trips(engine: Engine) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with PlanGuard() as guard:
        assert purge_positions(engine, timedelta(days=14), batch=100, now=now) == 0
    [plan] = guard.of("SELECT positions.id FROM positions")
    assert plan[0].startswith("SEARCH positions USING INDEX ix_positions_received"), plan
    assert any(step.endswith(f"USING INDEX {i}") for step in plan for i in BOUNDED_INDEXES), plan
    assert "SCAN trips" not in plan and "SCAN positions" not in plan, plan


def test_one_trip_is_still_found_by_its_own_keys_not_among_all_active_ones(
    engine: Engine,
) -> None:
    """The purge's index of active trips must not be taken for a way to find one of them."""
    with PlanGuard() as guard, engine.connect() as conn:
        assert SqlTripRepository(conn).active_for_declaration("D1") is None
        assert active_trips(conn, ["EL-1", "EL-2"]) == {}
    by_declaration, by_seal = guard.of("SELECT trips.")
    by_its_key = ("ix_trips_declaration (declaration_id=?)", "per_declaration (declaration_id=?)")
    assert any(key in step for step in by_declaration for key in by_its_key), by_declaration
    assert any("ix_trips_seal_active (seal_id=? AND active=?)" in step for step in by_seal)


def test_a_day_of_the_twin_reads_no_history_table_whole(tmp_path: Path) -> None:
    """Every statement a simulated day runs (the platform's commands, the ingest, the
    monitoring desk and the nightly purge) finds its rows through an index."""
    url = f"sqlite:///{tmp_path / 'day.db'}"
    upgrade(url)  # a migration may rewrite a whole table, once
    with PlanGuard() as guard:
        small = replace(load_scenario(), trucks_per_day=12)
        run_simulation(
            small,
            days=1,
            seed=5,
            database_url=url,
            drain_days=2.0,
            retention=timedelta(hours=30),
        )
    assert len(guard.seen) > 60  # the whole platform ran (81 kinds of statement)
    assert guard.unbounded == {}


def test_what_the_api_reads_is_bounded_by_the_page_or_the_day(tmp_path: Path) -> None:
    """Every list, screen figure and report the API serves, on a port with some history."""
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade(url)
    world = World(url)
    world.without_random_selection()  # the first sofa is released, so it can be sealed
    try:
        lodged = []
        for _ in range(2):
            for payload in (furniture_payload(), primary_lithium_payload()):
                response = world.lodge(payload, submit=True)
                assert response.status_code == 201
                lodged.append(response.json()["id"])
        # a truck sealed without a gate record: the screen looks for its gate-out
        seal = {"seal_id": "EL-0077", "vendor": "generic", "protocol": "json-mqtt"}
        assert (
            world.post("officer", "/api/v1/seals", {**seal, "secret": "k" * 20}).status_code == 201
        )
        trip = {"seal_id": "EL-0077", "declaration_id": lodged[0], "route_id": "shigatse-gyirong"}
        assert world.post("officer", "/api/v1/trips", trip).status_code == 201
        spec = world.get("admin", "/openapi.json").json()
        paths = [p for p, ops in spec["paths"].items() if "get" in ops and "{" not in p]
        paths += [
            "/api/v1/appointments?date=2026-03-02",
            "/api/v1/appointments?status=cancelled",
            "/api/v1/reports/time-release?date=2026-03-02",
            "/api/v1/trips?active=true",
            "/api/v1/alerts?state=open",
            "/api/v1/visits?current=true",
            "/api/v1/declarations?lane=red",
            "/api/v1/declarations?vehicle_plate=藏D12345",
            *(f"/api/v1/declarations/{d}" for d in lodged),
            *(f"/api/v1/screen/trucks/{d}" for d in lodged),
        ]
        answered = 0
        with PlanGuard() as guard:
            for path in paths:
                if path == "/api/v1/events/stream":
                    continue  # endless by design; its figures are /events/stats
                users = ("officer", "admin", "exporter")  # and a declarant's own view
                codes = [world.get(user, path).status_code for user in users]
                answered += 200 in codes
    finally:
        world.close()
    assert answered > 30 and len(guard.seen) > 40
    assert guard.unbounded == {}, "\n".join(f"{k}: {v}" for k, v in guard.unbounded.items())
    # the gate-out of a truck sealed in the yard: through its own declaration's visit
    (gated_out,) = guard.of(
        "SELECT truck_visits.declaration_id FROM truck_visits WHERE truck_visits.declaration_id IN"
    )
    assert "ix_truck_visits_declaration" in " ".join(gated_out), gated_out
    # a declarant's list by status: its own appointments, not the port's whole status
    own = [
        p
        for text, p in guard.plans.items()
        if "appointments.forwarder =" in text and "appointments.status" in text
    ]
    assert own and all("ix_appointments_status" not in " ".join(p) for p in own), own


def test_the_purge_finds_active_trips_by_their_partial_index_on_postgresql(
    postgres_databases: PostgresDatabases,
) -> None:
    """PostgreSQL matches a partial index only when the query states its condition the same
    way (`active IS true`, as SQLAlchemy renders `is_(True)`); with sequential scans off
    it shows which index it can use."""
    engine = create_engine(postgres_databases.new())
    try:
        with engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))
            query = select(t.trips.c.id).where(t.trips.c.active.is_(True))
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {compiled}")))
    finally:
        engine.dispose()
    assert any(index in plan for index in BOUNDED_INDEXES), plan
