"""Engines for SQLite and PostgreSQL, tuned so writers serialise cleanly and readers never wait."""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_COUNTER_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_COUNTER_ENGINES_LOCK = threading.Lock()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(
    url: str, *, echo: bool = False, writer: bool = True, pool_size: int = 10
) -> Engine:
    """A writer engine takes SQLite's write lock at BEGIN (BEGIN IMMEDIATE), so the audit chain
    and optimistic version checks see a consistent head; readers use deferred transactions."""
    if not is_sqlite(url):
        return create_engine(
            url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )
    _ensure_sqlite_dir(url)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    if writer:
        # SQLite has one writer at a time. Threads that lose the race would sleep in SQLite's
        # busy handler (backing off up to 100 ms a try); a lock in the process queues them.
        _WRITER_LOCKS[engine] = threading.Lock()
    return engine


def writer_lock(engine: Engine) -> threading.Lock | None:
    """The in-process queue for SQLite writers; None where the database queues (PostgreSQL)."""
    return _WRITER_LOCKS.get(engine)


def counter_engine(engine: Engine) -> Engine:
    """A small autocommit pool of its own for the counters of a PostgreSQL engine.

    A counter moves in its own short transaction while the unit of work that asked for the
    number holds a connection of `engine`. Taken from that same pool, the counter's connection
    could wait for a pool emptied by units of work that each wait for one too (more
    submissions at once than the pool holds all waited out the pool timeout). A counter holds
    its connection for one statement and waits only for another counter's row lock, held as
    briefly, so this pool always drains. Disposed with `engine`.
    """
    with _COUNTER_ENGINES_LOCK:
        counters = _COUNTER_ENGINES.get(engine)
        if counters is None:
            counters = create_engine(
                engine.url,
                echo=engine.echo,
                pool_size=2,
                max_overflow=2,
                pool_pre_ping=True,
                isolation_level="AUTOCOMMIT",
            )
            _COUNTER_ENGINES[engine] = counters
            event.listen(engine, "engine_disposed", _disposing(counters))
        return counters


def _disposing(counters: Engine) -> Any:
    def dispose(_engine: Engine) -> None:
        counters.dispose()

    return dispose
