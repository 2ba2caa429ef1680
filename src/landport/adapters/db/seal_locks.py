"""Arming a seal and storing its fixes exclude each other on PostgreSQL.

A telemetry batch reads the seals' active trips, then stores the fixes with the trip they
belong to. An arming committed between the two would leave the batch's fix of that seal
stored without its trip, never monitored. So a batch holds a shared advisory lock per seal
for its transaction and an arming an exclusive one: an arming waits for the batches in
flight, and batches after it wait for the arming and see the new trip. Batches do not block
each other (a batch may queue behind an arming that itself waits for another batch; no cycle
can form, as a batch takes its locks before any row lock). SQLite needs none of this: its
writers already take turns.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

_KEY = "landport.seal:"
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_SHARED = text(
    "SELECT pg_advisory_xact_lock_shared(hashtextextended(k, 0)) FROM unnest(:keys) AS k"
).bindparams(bindparam("keys", type_=ARRAY(String())))


def hold_for_arming(conn: Connection, seal_id: str) -> None:
    """Until the transaction ends, no batch stores fixes of this seal (and none is in flight)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_EXCLUSIVE, {"key": _KEY + seal_id})


def share_for_storing(conn: Connection, seal_ids: Iterable[str]) -> None:
    """Until the transaction ends, no arming of these seals commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(_SHARED, {"keys": [_KEY + s for s in sorted(seal_ids)]})
