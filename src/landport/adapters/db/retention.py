"""Retention of e-lock positions: old fixes go, in small batches, never those of active trips.

Each batch is its own short transaction (select a few thousand primary keys, delete them by
key, commit), so ingest and the API keep writing between batches and the table is never
locked for long: one long DELETE over months of fixes is what stalls tracking platforms.
A position's age is when it was received (`received_at`, indexed), so a late backfill is
kept as long as a live fix; positions of trips still active are kept whatever their age.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Engine, delete, func, or_, select

from landport.adapters.db import tables as t
from landport.adapters.db.engine import writer_lock


def _purgeable(cutoff: datetime, keep_active_trips: bool) -> list[ColumnElement[bool]]:
    p = t.positions.c
    where: list[ColumnElement[bool]] = [p.received_at < cutoff]
    if keep_active_trips:
        active = select(t.trips.c.id).where(t.trips.c.active.is_(True))
        where.append(or_(p.trip_id.is_(None), p.trip_id.not_in(active)))
    return where


def purge_positions(
    engine: Engine,
    older_than: timedelta,
    *,
    batch: int,
    keep_active_trips: bool = True,
    now: datetime | None = None,
    dry_run: bool = False,
) -> int:
    """Delete positions received more than `older_than` ago, `batch` rows per transaction;
    returns how many were deleted (or, with `dry_run`, would be)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    if older_than <= timedelta(0):
        raise ValueError("older_than must be positive")
    cutoff = (now or datetime.now(UTC)) - older_than
    where = _purgeable(cutoff, keep_active_trips)
    if dry_run:
        with engine.connect() as conn:
            count = select(func.count()).select_from(t.positions).where(*where)
            return int(conn.execute(count).scalar_one())
    # Oldest first along the `received_at` index: walking the table by key instead reads
    # every position kept (two weeks of fixes) to find the last batch, each night.
    ids_query = (
        select(t.positions.c.id)
        .where(*where)
        .order_by(t.positions.c.received_at, t.positions.c.id)
        .limit(batch)
    )
    lock = writer_lock(engine)
    deleted = 0
    while True:
        # queue behind this process's other SQLite writers (PostgreSQL queues by itself)
        with lock or nullcontext(), engine.begin() as conn:
            ids = list(conn.execute(ids_query).scalars())
            if ids:
                conn.execute(delete(t.positions).where(t.positions.c.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < batch:
            return deleted
