"""Retention of e-lock positions: old fixes go, in small batches, never those still evidence.

Each batch is its own short transaction (select a few thousand primary keys, delete them by
key, audit what went, commit), so ingest and the API keep writing between batches and the
table is never locked for long: one long DELETE over months of fixes is what stalls tracking
platforms. A position's age is when it was received (`received_at`, indexed), so a late
backfill is kept as long as a live fix.

Whatever their age, the positions of a trip are kept while its track may still be needed as
evidence:

- the trip is active (under custody);
- one of its alerts is not resolved (`open`, or only `acknowledged`: an officer has still
  to close it with a finding, and the track is what the finding rests on);
- it was referred to inspection at the border and the case is not settled: its declaration
  has not reached a final state since the referral, and, when it was final already, the
  referral is less than `REFERRAL_EVIDENCE` old (the rules: `seals/track_evidence.py`).

These checks read only what is under way (the active trips' partial index, the unresolved
alerts by state) and the trip and declaration of each old position by primary key, so no batch
reads the whole trips or alerts history (PostgreSQL may instead hash the referred trips, found
by `ix_trips_state`, when its statistics say that is cheaper). Every batch that deletes
anything appends one entry to the audit chain in its own transaction: how many positions of
how many trips went, and the cut-off.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, delete, exists, func, or_, select

from landport.adapters.db import tables as t
from landport.adapters.db.audit import SqlAuditTrail
from landport.adapters.db.engine import writer_lock
from landport.adapters.db.screen_queries import UNRESOLVED
from landport.audit.chain import format_time
from landport.seals.model import TripState
from landport.seals.track_evidence import FINAL_DECLARATIONS, REFERRAL_EVIDENCE

_FINAL = tuple(sorted(status.value for status in FINAL_DECLARATIONS))  # as stored
#: Who the audit entries name, and what they record.
ACTOR = "retention"
ACTION = "positions.purged"


def _unsettled_referral(position_trip: ColumnElement[str], now: datetime) -> ColumnElement[bool]:
    """The position's trip was referred at the border and its case is not settled: read by
    the trip's and its declaration's primary keys, one old position at a time."""
    trips, declarations = t.trips.c, t.declarations.c
    settled = (
        select(declarations.id)
        .where(
            declarations.id == trips.declaration_id,
            declarations.status.in_(_FINAL),
            or_(
                declarations.updated_at >= trips.closed_at,  # final since the referral
                trips.closed_at < now - REFERRAL_EVIDENCE,  # final before it: kept a while
            ),
        )
        .correlate(t.trips)
    )
    referred = select(trips.id).where(
        trips.id == position_trip,
        trips.state == TripState.REFERRED.value,
        ~exists(settled),  # a referral without a closing time stays unsettled
    )
    return exists(referred)


def _purgeable(
    cutoff: datetime, now: datetime, keep_active_trips: bool
) -> list[ColumnElement[bool]]:
    p = t.positions.c
    purge: list[ColumnElement[bool]] = []
    if keep_active_trips:
        active = select(t.trips.c.id).where(t.trips.c.active.is_(True))
        purge.append(p.trip_id.not_in(active))
    unresolved = select(t.alerts.c.trip_id).where(t.alerts.c.state.in_(UNRESOLVED))
    # the two short lists first: a referral is looked up only for trips neither keeps
    purge += [p.trip_id.not_in(unresolved), ~_unsettled_referral(p.trip_id, now)]
    return [p.received_at < cutoff, or_(p.trip_id.is_(None), and_(*purge))]


def purge_positions(
    engine: Engine,
    older_than: timedelta,
    *,
    batch: int,
    keep_active_trips: bool = True,
    now: datetime | None = None,
    dry_run: bool = False,
) -> int:
    """Delete positions received more than `older_than` ago, `batch` rows per transaction,
    except those kept as evidence (see the module); returns how many were deleted (or, with
    `dry_run`, would be). `keep_active_trips=False` lets active trips' old positions go too,
    never those of unresolved alerts or unsettled referrals."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    if older_than <= timedelta(0):
        raise ValueError("older_than must be positive")
    started = now or datetime.now(UTC)
    cutoff = started - older_than
    where = _purgeable(cutoff, started, keep_active_trips)
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
            gone = _delete(conn, ids, cutoff, now) if ids else []
        deleted += len(gone)
        if len(ids) < batch:
            return deleted


def _delete(conn: Connection, ids: list[int], cutoff: datetime, now: datetime | None) -> list[Any]:
    """Delete the batch and audit what went, in the batch's transaction: no delete goes
    unrecorded, and a batch that fails leaves neither."""
    gone = list(
        conn.execute(
            delete(t.positions)
            .where(t.positions.c.id.in_(ids))
            .returning(t.positions.c.id, t.positions.c.trip_id)
        )
    )
    if gone:
        audit = SqlAuditTrail(conn, now or datetime.now(UTC))
        _audit_batch(audit, gone, cutoff)
        audit.flush()
    return gone


def _audit_batch(audit: SqlAuditTrail, gone: list[Any], cutoff: datetime) -> None:
    """One entry for the batch: its figures in the detail, and the deleted positions' ids
    in the before-digest (a backup shows which rows the purge took)."""
    trips = {row.trip_id for row in gone if row.trip_id is not None}
    received_before = format_time(cutoff)
    figures = {
        "positions": len(gone),
        "trips": len(trips),
        "without_trip": sum(1 for row in gone if row.trip_id is None),
        "received_before": received_before,
    }
    audit.append(
        actor=ACTOR,
        action=ACTION,
        entity_type="positions",
        entity_id=received_before,
        before={"position_ids": sorted(int(row.id) for row in gone)},
        after=None,
        detail=json.dumps(figures, sort_keys=True, separators=(",", ":")),
    )
