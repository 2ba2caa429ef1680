"""The same migrations build the schema on SQLite and PostgreSQL, and match the tables in code."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, select

from conftest import PostgresDatabases
from landport.adapters.db import tables as t
from landport.adapters.db.migrate import check, upgrade


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
