"""The same migrations build the schema on SQLite and PostgreSQL, and match the tables in code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.command import downgrade
from sqlalchemy import column, create_engine, insert, inspect, select, table
from sqlalchemy.exc import IntegrityError

from conftest import PostgresDatabases
from landport.adapters.db import tables as t
from landport.adapters.db.migrate import alembic_config, check, upgrade
from landport.adapters.db.yard_tables import truck_visits


def _assert_migrated(url: str) -> None:
    upgrade(url)
    check(url)  # alembic check: raises if models and migrations disagree
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= set(t.metadata.tables)
        with engine.connect() as conn:
            head = conn.execute(select(t.audit_head.c.seq, t.audit_head.c.hash)).one()
        assert head == (0, "0" * 64)
    finally:
        engine.dispose()


def test_empty_sqlite_database_migrates_to_head(tmp_path: Path) -> None:
    _assert_migrated(f"sqlite:///{tmp_path / 'fresh.db'}")


def test_empty_postgres_database_migrates_to_head(postgres_databases: PostgresDatabases) -> None:
    _assert_migrated(postgres_databases.new(migrated=False))


def test_upgrading_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    upgrade(url)
    upgrade(url)
    check(url)


def test_trips_stored_before_0009_take_their_planned_departure_or_their_arming(
    tmp_path: Path,
) -> None:
    """In the yard with a plan: the plan; on the road without one: the arming; in the yard
    without a plan: none (waiting, so not overdue)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0008")
    armed = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    planned = armed + timedelta(days=1)
    engine = create_engine(url)  # foreign keys are not enforced here: bare rows suffice
    trip = {
        "seal_id": "EL-1",
        "vehicle_plate": "藏D12345",
        "containers": [],
        "route_id": "shigatse-gyirong",
        "route_version": 1,
        "exit_port": "gyirong-port",
        "passport_digest": "0" * 64,
        "armed_at": armed,
        "armed_by": "officer",
        "window_start": armed,
        "window_end": armed + timedelta(days=3),
        "active": True,
        "version": 0,
    }
    try:
        with engine.begin() as conn:
            for trip_id, state in (
                ("planned", "in_yard"),
                ("road", "en_route"),
                ("wait", "in_yard"),
            ):
                conn.execute(
                    insert(t.trips).values(
                        id=trip_id, declaration_id=f"D-{trip_id}", state=state, **trip
                    )
                )
            conn.execute(
                insert(truck_visits).values(
                    id="V-1",
                    plate="藏D12345",
                    status="parked",
                    declaration_id="D-planned",
                    departure_at=planned,
                    fees_paid=False,
                    created_at=armed,
                    updated_at=armed,
                    version=0,
                )
            )
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(select(t.trips.c.id, t.trips.c.departs_at)).all()
        assert dict(rows) == {"planned": planned, "road": armed, "wait": None}
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"agent_uscc": "91330100716105852F"}, "ck_agency_authorisations_agent_not_consignor"),
        (
            {"valid_from": date(2026, 12, 31), "valid_to": date(2026, 12, 2)},
            "ck_agency_authorisations_valid_from_not_after_valid_to",
        ),
    ],
)
def test_the_database_refuses_a_self_authorisation_or_a_validity_ending_before_it_starts(
    database_url: str, change: dict[str, Any], constraint: str
) -> None:
    """What the handler refuses, the migrated schema refuses too (both engines); a valid
    authorisation, even of a single day, goes in."""
    at = datetime(2026, 12, 1, tzinfo=UTC)
    engine = create_engine(database_url)
    authorisation = {
        "consignor_uscc": "91330100716105852F",
        "agent_uscc": "91440300MA5F00004K",
        "valid_from": date(2026, 12, 2),
        "valid_to": date(2026, 12, 2),
        "recorded_by": "admin",
        "recorded_at": at,
    }
    try:
        with engine.begin() as conn:
            for uscc in ("91330100716105852F", "91440300MA5F00004K"):
                conn.execute(
                    insert(t.enterprises).values(
                        uscc=uscc,
                        name_zh="测试企业",
                        name_en="Test Enterprise",
                        province="zhejiang",
                        rating="general",
                        created_at=at,
                    )
                )
            conn.execute(insert(t.agency_authorisations).values(id="ok", **authorisation))
        with pytest.raises(IntegrityError) as refused, engine.begin() as conn:
            row = {**authorisation, **change}
            conn.execute(insert(t.agency_authorisations).values(id="bad", **row))
        # SQLite names the constraint in its message, PostgreSQL too
        assert constraint in str(refused.value)
        with engine.connect() as conn:
            ids = conn.execute(select(t.agency_authorisations.c.id)).scalars().all()
        assert ids == ["ok"]
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine_name", ["sqlite", "postgres"])
def test_positions_stored_before_0016_without_a_gnss_fix_lose_the_mark_on_their_source(
    engine_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The "-nf" mark on the source becomes `positioned` false and the source the channel's;
    every other position stays positioned; a downgrade writes the mark back."""
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'marked.db'}"
    else:
        dbs: PostgresDatabases = request.getfixturevalue("postgres_databases")
        url = dbs.new(migrated=False)
    upgrade(url, "0015")
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    before_0016 = table(
        "positions",
        *(column(c.name, c.type) for c in t.positions.c if c.name not in ("id", "positioned")),
    )
    fix = {
        "seal_id": "EL-808-01",
        "fix_time": at,
        "received_at": at,
        "lat": 0.0,
        "lon": 0.0,
        "speed_kmh": 0.0,
        "course": 0.0,
        "lock_state": "opened",
        "tamper": False,
    }
    engine = create_engine(url)
    p = t.positions.c
    try:
        with engine.begin() as conn:
            for seq, source in ((1, "jt808-nf"), (2, "jt808"), (3, "mqtt")):
                conn.execute(insert(before_0016).values(seq=seq, source=source, **fix))
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(select(p.seq, p.source, p.positioned).order_by(p.seq)).all()
        assert [tuple(r) for r in rows] == [
            (1, "jt808", False),
            (2, "jt808", True),
            (3, "mqtt", True),
        ]
        downgrade(alembic_config(url), "0015")
        with engine.connect() as conn:
            sources = conn.execute(select(p.source).order_by(p.seq)).scalars().all()
        assert sources == ["jt808-nf", "jt808", "mqtt"]
    finally:
        engine.dispose()
