"""The yard layout versions and the port closures kept in the database.

Writes go through the unit of work's connection, so a layout or a closure commits together
with its audit entry and the trucks it re-planned. Reads check one cheap figure first (the
newest row of each table) and parse a document only when it moved, so every server process
sees a change at its next command without re-reading the layout each time.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from landport.adapters.db.yard_tables import port_closures, yard_layout_versions
from landport.seals.calendar import Closure
from landport.yard.departures import PortClosure
from landport.yard.model import YardLayout, yard_from_document


@dataclass(frozen=True, slots=True)
class LayoutVersion:
    number: int
    document: Mapping[str, Any]
    layout: YardLayout
    changed_at: datetime
    changed_by: str
    reason: str | None

    def meta(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "changed_at": self.changed_at.isoformat(),
            "changed_by": self.changed_by,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class YardView:
    """The layout version in force and the added closures, as of one read."""

    layout_head: int | None = None
    layout: LayoutVersion | None = None
    closures_head: int | None = None
    closures: tuple[PortClosure, ...] = ()


_lock = threading.Lock()
#: The last committed view per engine; a read that finds the heads unmoved reuses it.
_cache: weakref.WeakKeyDictionary[Engine, YardView] = weakref.WeakKeyDictionary()
#: Keys of `Connection.info`: this transaction's view (a command asks several times) and
#: the transaction that wrote a version or closure (its view is not yet anyone else's).
_SEEN, _WROTE = "landport.yard_view", "landport.yard_wrote"


_HEADS = select(
    select(func.max(yard_layout_versions.c.id)).scalar_subquery(),
    select(func.max(port_closures.c.id)).scalar_subquery(),
)


def _heads(conn: Connection) -> tuple[int, int]:
    """The newest layout version and closure: one round trip, index-only."""
    row = conn.execute(_HEADS).one()
    return int(row[0] or 0), int(row[1] or 0)


def _read_layout(conn: Connection, number: int) -> LayoutVersion | None:
    row = conn.execute(
        select(yard_layout_versions).where(yard_layout_versions.c.id == number)
    ).first()
    if row is None:
        return None
    document = json.loads(row.document)
    return LayoutVersion(
        row.id, document, yard_from_document(document), row.changed_at, row.changed_by, row.reason
    )


def _read_closures(conn: Connection) -> tuple[PortClosure, ...]:
    rows = conn.execute(select(port_closures).order_by(port_closures.c.id)).all()
    return tuple(PortClosure(r.port_id, Closure(r.first_day, r.last_day, r.reason)) for r in rows)


def current(engine: Engine, conn: Connection | None = None) -> YardView:
    """The layout version in force and the closures, read again only when either table moved.

    Inside a command pass its connection: the check then needs no second connection from
    the pool (a command waiting for one while holding another could starve the pool), and
    is made once per transaction. A transaction that wrote a version sees it; nobody else
    does until it commits."""
    with _lock:
        known = _cache.get(engine, YardView())
    if conn is None:
        with engine.connect() as own:
            view = _read(own, known)
            own.rollback()
        _publish(engine, view)
        return view
    tx = conn.get_transaction()
    seen = conn.info.get(_SEEN)
    if tx is not None and seen is not None and seen[0]() is tx:
        mine: YardView = seen[1]
        return mine
    view = _read(conn, known)
    wrote = conn.info.get(_WROTE)
    if wrote is None or wrote() is not tx:
        _publish(engine, view)
    if tx is not None:
        conn.info[_SEEN] = (weakref.ref(tx), view)
    return view


def _read(conn: Connection, known: YardView) -> YardView:
    layout_head, closures_head = _heads(conn)
    view = known
    if known.layout_head != layout_head:
        layout = _read_layout(conn, layout_head) if layout_head else None
        view = replace(view, layout_head=layout_head, layout=layout)
    if known.closures_head != closures_head:
        view = replace(view, closures_head=closures_head, closures=_read_closures(conn))
    return view


def _publish(engine: Engine, view: YardView) -> None:
    with _lock:
        _cache[engine] = view


def _wrote(conn: Connection) -> None:
    """After a write, the writing transaction reads again and keeps its view to itself."""
    tx = conn.get_transaction()
    conn.info[_WROTE] = weakref.ref(tx) if tx is not None else None
    conn.info.pop(_SEEN, None)


def layout_history(engine: Engine) -> list[dict[str, Any]]:
    """Every layout version, newest first, without the documents."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                yard_layout_versions.c.id,
                yard_layout_versions.c.yard_id,
                yard_layout_versions.c.changed_at,
                yard_layout_versions.c.changed_by,
                yard_layout_versions.c.reason,
            ).order_by(yard_layout_versions.c.id.desc())
        ).all()
    return [
        {
            "number": r.id,
            "yard_id": r.yard_id,
            "changed_at": r.changed_at.isoformat(),
            "changed_by": r.changed_by,
            "reason": r.reason,
        }
        for r in rows
    ]


def keep_layout(
    conn: Connection,
    document: Mapping[str, Any],
    layout: YardLayout,
    *,
    actor: str,
    at: datetime,
    reason: str | None,
) -> int:
    """A new layout version (the newest is in force); its number."""
    result = conn.execute(
        insert(yard_layout_versions).values(
            yard_id=layout.yard_id or "yard",
            document=json.dumps(dict(document), ensure_ascii=False),
            changed_at=at,
            changed_by=actor,
            reason=reason,
        )
    )
    key = result.inserted_primary_key
    _wrote(conn)
    return int(key[0]) if key else 0


def keep_closure(conn: Connection, closure: PortClosure, *, actor: str, at: datetime) -> None:
    conn.execute(
        insert(port_closures).values(
            port_id=closure.port_id,
            first_day=closure.closure.start,
            last_day=closure.closure.end,
            reason=closure.closure.reason,
            added_at=at,
            added_by=actor,
        )
    )
    _wrote(conn)
