"""The ingest's writes of positions and trip states, and its reads of trips and fixes.

PostgreSQL inserts a batch of positions as one statement over arrays. SQLite runs the same
statements compiled once to the driver's text, with the values converted here the way the
column types store them: SQLAlchemy's per-row parameter processing cost more than the inserts
(about 400 rows and 130 trips a batch). The SQLite texts and their parameter orders are
compiled from the SQLAlchemy statements; the PostgreSQL array insert is built from the
table's columns and key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Text,
    UniqueConstraint,
    bindparam,
    cast,
    column,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from landport.adapters.db import tables as t
from landport.adapters.db.driver_sql import as_utc, driver_text, from_sqlite_time, sqlite_time
from landport.adapters.db.seal_locks import share_for_storing
from landport.adapters.telemetry.trip_cache import HEAD_COLUMNS
from landport.seals.model import LOCK_STATES, LockState, SealFix


def _trip_update(monitor: Any) -> Any:
    """A trip's new state, written only if the trip is still at the version the batch read."""
    return (
        update(t.trips)
        .where(t.trips.c.id == bindparam("b_id"), t.trips.c.version == bindparam("b_version"))
        .values(
            monitor=monitor,
            version=bindparam("version"),
            state=bindparam("state"),
            last_fix_time=bindparam("last_fix_time"),
            last_lat=bindparam("last_lat"),
            last_lon=bindparam("last_lon"),
        )
    )


# Built once and run with executemany: building statements per trip dominated the batch. The
# monitor state comes as JSON text (`StateText`): PostgreSQL casts it to the column's type,
# SQLite stores the text as it is.
_UPDATE_TRIP = _trip_update(cast(bindparam("monitor", type_=Text), JSON))
_SQLITE_UPDATE_TRIP, _TRIP_PARAMS = driver_text(_trip_update(bindparam("monitor", type_=Text)))
_UPDATE_BATTERY = (
    update(t.seals)
    .where(t.seals.c.seal_id == bindparam("b_seal"))
    .values(battery_pct=bindparam("battery_pct"))
)
_SQLITE_UPDATE_BATTERY, _BATTERY_PARAMS = driver_text(_UPDATE_BATTERY)


def update_batteries(conn: Connection, batteries: list[dict[str, Any]]) -> None:
    """The seals' last reported battery levels (`b_seal`, `battery_pct`)."""
    if conn.dialect.name == "sqlite":
        rows = list(map(itemgetter(*_BATTERY_PARAMS), batteries))
        conn.exec_driver_sql(_SQLITE_UPDATE_BATTERY, rows)
    else:
        conn.execute(_UPDATE_BATTERY, batteries)


# The positions table's columns but its key, in table order: what `_rows` builds.
_STORED = tuple(column for column in t.positions.c if not column.primary_key)
_COLUMNS = tuple(column.name for column in _STORED)
# Their PostgreSQL array types, without lengths: an explicit cast to varchar(n) would
# truncate a long value silently, where the insert itself refuses it.
_PG_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
_PG_TYPES = tuple(
    re.sub(r"\(\d+\)", "", _PG_DIALECT.type_compiler_instance.process(column.type))
    for column in _STORED
)
#: The positions' natural key: a redelivered fix is the same (seal, sequence, fix time).
_KEY_NAME = "uq_positions_seal_seq_fix"
_FIX_KEY = next(
    (
        tuple(c.name for c in constraint.columns)
        for constraint in t.positions.constraints
        if isinstance(constraint, UniqueConstraint) and constraint.name == _KEY_NAME
    ),
    None,
)
if _FIX_KEY is None:
    raise RuntimeError(f"positions has no {_KEY_NAME}: the duplicate check needs it")
# PostgreSQL: one fixed statement over arrays, so the server plans it once and the driver
# sends one array per column instead of every row's values (a multi-row VALUES list is
# re-parsed per batch).
_PG_INSERT_POSITIONS = (
    f"INSERT INTO positions ({', '.join(_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%s::{ty}[]' for ty in _PG_TYPES)}) "
    f"ON CONFLICT ({', '.join(_FIX_KEY)}) DO NOTHING RETURNING {', '.join(_FIX_KEY)}"
)
# SQLite: a plain executemany of one row's insert, values converted as the types store them.
_SQLITE_INSERT_POSITIONS, _ = driver_text(
    sqlite.insert(t.positions)
    .values({name: bindparam(name) for name in _COLUMNS})
    .on_conflict_do_nothing(index_elements=list(_FIX_KEY))
)
_SQLITE_LAST_POSITION, _ = driver_text(select(func.max(t.positions.c.id)))
_POSITIONS_AFTER = select(*(t.positions.c[name] for name in _FIX_KEY)).where(
    t.positions.c.id > bindparam("after")
)


def update_trips(conn: Connection, updates: list[dict[str, Any]]) -> None:
    """Write the trips back; a trip changed by someone else meanwhile aborts the batch,
    which is then retried unacknowledged (never a silent overwrite)."""
    if not updates:
        return
    if conn.dialect.name == "sqlite":
        pick = itemgetter(*_TRIP_PARAMS)
        rows = [pick({**v, "last_fix_time": sqlite_time(v["last_fix_time"])}) for v in updates]
        if conn.exec_driver_sql(_SQLITE_UPDATE_TRIP, rows).rowcount != len(rows):
            raise StaleTrip(", ".join(v["b_id"] for v in updates))
        return
    if conn.dialect.supports_sane_multi_rowcount:
        if conn.execute(_UPDATE_TRIP, updates).rowcount != len(updates):
            raise StaleTrip(", ".join(v["b_id"] for v in updates))
        return
    for values in updates:
        if conn.execute(_UPDATE_TRIP, values).rowcount != 1:
            raise StaleTrip(values["b_id"])


class StaleTrip(RuntimeError):
    """The trip row moved on between reading and writing it."""


def fix_key(fix: SealFix) -> tuple[str, int, datetime]:
    return fix.seal_id, fix.seq, fix.fix_time


def insert_positions(
    conn: Connection, fixes: list[SealFix], trip_of: dict[str, str], now: datetime
) -> set[tuple[str, int, datetime]] | None:
    """Store fixes, skipping any already stored; returns the keys actually inserted, or None
    when every fix was."""
    if conn.dialect.name == "postgresql":
        # In key order: two workers storing the same redelivered fixes take the unique
        # index's entries in the same order, so they wait for each other, never deadlock.
        rows = _rows(sorted(fixes, key=fix_key), trip_of, now, lambda at: at)
        columns = tuple(list(column) for column in zip(*rows, strict=True))
        result = conn.exec_driver_sql(_PG_INSERT_POSITIONS, columns)
        return {(r[0], r[1], as_utc(r[2])) for r in result}
    # SQLite: a plain executemany (RETURNING turned it into one large statement per batch,
    # re-compiled each time). The batch holds the write lock from BEGIN IMMEDIATE, so the
    # rows it inserted are exactly those after the highest id before it; when none was a
    # duplicate (the usual case) they are simply all of them.
    texts = _rows(fixes, trip_of, now, sqlite_time)
    before = conn.exec_driver_sql(_SQLITE_LAST_POSITION).scalar() or 0
    if conn.exec_driver_sql(_SQLITE_INSERT_POSITIONS, texts).rowcount == len(texts):
        return None
    return {(r[0], r[1], as_utc(r[2])) for r in conn.execute(_POSITIONS_AFTER, {"after": before})}


def _rows(
    fixes: list[SealFix],
    trip_of: dict[str, str],
    received: datetime,
    stamp: Callable[[datetime], Any],
) -> list[tuple[Any, ...]]:
    """The positions' column values in `_COLUMNS` order, times written by `stamp`."""
    at = stamp(received)
    return [
        (
            f.seal_id,
            f.seq,
            trip_of.get(f.seal_id),
            stamp(f.fix_time),
            at,
            f.lat,
            f.lon,
            f.speed_kmh,
            f.course,
            f.lock_state.value,
            f.tamper,
            f.battery_pct,
            f.source,
            f.positioned,
        )
        for f in fixes
    ]


#: The trips a batch may touch: active ones, with the columns every batch needs.
TRIP_HEADS = select(*HEAD_COLUMNS).where(t.trips.c.active.is_(True))
_HEAD_NAMES = tuple(c.name for c in HEAD_COLUMNS)
# SQLite: the seals as one JSON array parameter, so one text serves any number of them.
_SQLITE_ACTIVE_TRIPS, _ = driver_text(
    TRIP_HEADS.where(
        t.trips.c.seal_id.in_(select(column("value")).select_from(func.json_each(bindparam("s"))))
    ).order_by(t.trips.c.id)
)


def active_trips(conn: Connection, seal_ids: Iterable[str]) -> dict[str, Any]:
    """`TRIP_HEADS` of these seals' active trips by seal, locked for the batch on PostgreSQL
    (one worker at a time per trip); SQLite's batch holds the write lock already."""
    ids = sorted(seal_ids)
    share_for_storing(conn, ids)  # an arming in flight commits first (PostgreSQL)
    if conn.dialect.name != "sqlite":
        query = TRIP_HEADS.where(t.trips.c.seal_id.in_(ids)).order_by(t.trips.c.id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return {r["seal_id"]: r for r in conn.execute(query).mappings()}
    heads = {}
    for values in conn.exec_driver_sql(_SQLITE_ACTIVE_TRIPS, (json.dumps(ids),)):
        head = dict(zip(_HEAD_NAMES, values, strict=True))
        head["last_fix_time"] = from_sqlite_time(head["last_fix_time"])
        head["armed_at"] = from_sqlite_time(head["armed_at"])
        heads[head["seal_id"]] = head
    return heads


#: A trip's fixes in time order, as `SealFix` takes them (its fields are column names).
_HISTORY = (
    select(*(t.positions.c[f.name] for f in fields(SealFix)))
    .where(t.positions.c.trip_id == bindparam("trip_id"))
    .order_by(t.positions.c.fix_time)
)
_SQLITE_HISTORY, _ = driver_text(_HISTORY)


def history(conn: Connection, trip_id: str) -> list[SealFix]:
    """A trip's every fix for a replay: thousands of rows, read as plain tuples (on SQLite
    from the driver, with times and flags converted as the column types would)."""
    rows: Iterable[Any]
    parse_time: Callable[[Any], datetime]
    if conn.dialect.name == "sqlite":
        rows, parse_time = conn.exec_driver_sql(_SQLITE_HISTORY, (trip_id,)), datetime.fromisoformat
    else:
        rows, parse_time = conn.execute(_HISTORY, {"trip_id": trip_id}), _same
    locks = LOCK_STATES
    return [
        SealFix(
            seal_id,
            seq,
            as_utc(parse_time(fix_time)),
            lat,
            lon,
            speed,
            course,
            locks.get(lock) or LockState(lock),
            bool(tamper),
            battery,
            source,
            bool(positioned),
        )
        for (
            seal_id,
            seq,
            fix_time,
            lat,
            lon,
            speed,
            course,
            lock,
            tamper,
            battery,
            source,
            positioned,
        ) in rows
    ]


def _same(value: datetime) -> datetime:
    return value
