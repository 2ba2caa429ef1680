"""SQLite statements run at the driver, for reads and writes of thousands of rows.

SQLAlchemy's per-row processing (bind and result types) costs more than SQLite's own work
when a statement moves thousands of rows. The statements stay SQLAlchemy statements,
compiled once here to the driver's text; the values are converted the way the column types
would (`tables.UtcDateTime` keeps UTC without the zone in SQLite).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_SQLITE = sqlite.dialect()


def driver_text(statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """The statement as the SQLite driver runs it, and its parameters' names in `?` order."""
    compiled = statement.compile(dialect=_SQLITE)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {statement!r}")
    return str(compiled), tuple(compiled.positiontup or ())


def sqlite_time(value: datetime | None) -> str | None:
    """A time as `tables.UtcDateTime` stores it in SQLite: UTC, without the zone,
    microseconds always written ("2026-05-12 03:04:05.000000"), so reads are unchanged."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_sqlite_time(value: str | None) -> datetime | None:
    """A stored time read at the driver, as `tables.UtcDateTime` returns it."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)
