"""The audit trail in the database: entries are chained at commit under the chain-head lock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from landport.adapters.db import tables as t
from landport.audit.chain import ChainReport, digest_of, entry_hash, format_time, verify_chain


@dataclass(slots=True)
class _Pending:
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before_digest: str
    after_digest: str
    detail: str


# Built once: every command of the platform flushes the trail (constructing the statements
# each time was a visible share of a short command).
_HEAD = (
    select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1).with_for_update()
)
_INSERT = insert(t.audit_log)
_MOVE_HEAD = update(t.audit_head).where(t.audit_head.c.id == 1)


class SqlAuditTrail:
    """Collects the transaction's entries and links them to the chain when it commits."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self._conn = conn
        self._now = now
        self._pending: list[_Pending] = []

    def append(
        self,
        *,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        before: Any,
        after: Any,
        detail: str = "",
    ) -> None:
        self._pending.append(
            _Pending(
                actor,
                action,
                entity_type,
                entity_id,
                digest_of(before),
                digest_of(after),
                detail or "",
            )
        )

    def flush(self) -> None:
        """Chain the pending entries; the row lock (or SQLite's write lock) orders writers."""
        if not self._pending:
            return
        head = self._conn.execute(_HEAD).one()
        seq, prev = int(head[0]), str(head[1])
        at = format_time(self._now)
        rows = []
        for p in self._pending:
            seq += 1
            h = entry_hash(
                prev_hash=prev,
                seq=seq,
                at=at,
                actor=p.actor,
                action=p.action,
                entity_type=p.entity_type,
                entity_id=p.entity_id,
                before_digest=p.before_digest,
                after_digest=p.after_digest,
                detail=p.detail,
            )
            rows.append(
                {
                    "seq": seq,
                    "at": at,
                    "actor": p.actor,
                    "action": p.action,
                    "entity_type": p.entity_type,
                    "entity_id": p.entity_id,
                    "before_digest": p.before_digest,
                    "after_digest": p.after_digest,
                    "detail": p.detail,
                    "prev_hash": prev,
                    "hash": h,
                }
            )
            prev = h
        self._conn.execute(_INSERT, rows)
        self._conn.execute(_MOVE_HEAD, {"seq": seq, "hash": prev})
        self._pending.clear()


def _stream_rows(conn: Connection, batch: int = 20_000) -> Iterator[tuple[Any, ...]]:
    cursor = conn.execution_options(stream_results=True, yield_per=batch).execute(
        text(
            "SELECT seq, at, actor, action, entity_type, entity_id, before_digest, "
            "after_digest, detail, prev_hash, hash FROM audit_log ORDER BY seq"
        )
    )
    for part in cursor.partitions(batch):
        yield from (tuple(r) for r in part)


def verify_audit(engine: Engine, witnesses: Mapping[int, str] | None = None) -> ChainReport:
    """Verify the whole chain against the separately kept head, both read in one snapshot:
    a writer committing meanwhile is not taken for tampering. A missing head is itself a
    break (the first migration creates it; deleting it hid deletions from the end).
    `witnesses` pin entries to the hashes checkpoints kept outside the database saw."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        head = conn.execute(
            select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1)
        ).one_or_none()
        if head is None:
            return ChainReport(0, 1, "the chain head is missing")
        return verify_chain(_stream_rows(conn), (int(head[0]), str(head[1])), witnesses)
