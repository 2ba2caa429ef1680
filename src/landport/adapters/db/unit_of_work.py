"""The unit of work: one connection, one transaction, commit only here."""

from __future__ import annotations

import hashlib
import json
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from landport.adapters.db import tables as t
from landport.adapters.db.audit import SqlAuditTrail
from landport.adapters.db.custody import (
    SqlAlertRepository,
    SqlRouteRepository,
    SqlSealRepository,
    SqlTripRepository,
)
from landport.adapters.db.engine import writer_lock
from landport.adapters.db.repositories import (
    SqlAgencyAuthorisationRepository,
    SqlCounterRepository,
    SqlDeclarationRepository,
    SqlEnterpriseRepository,
    SqlInspectionRepository,
    SqlRulesetRepository,
    SqlUserRepository,
)
from landport.audit.chain import canonical_json
from landport.declarations.ports import DuplicateRequest
from landport.shared.clock import Clock
from landport.shared.errors import Conflict


class SqlUnitOfWork:
    """Everything a command changes, with its audit entries, commits together or not at all."""

    conn: Connection

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self.events: list[object] = []

    def __enter__(self) -> SqlUnitOfWork:
        self._lock = writer_lock(self._engine)
        if self._lock is not None:
            self._lock.acquire()
        try:
            self.conn = self._engine.connect()
            self._tx = self.conn.begin()
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        now = self._clock.now()
        self.declarations = SqlDeclarationRepository(self.conn)
        self.inspections = SqlInspectionRepository(self.conn, now)
        self.enterprises = SqlEnterpriseRepository(self.conn, now)
        self.users = SqlUserRepository(self.conn, now)
        self.authorisations = SqlAgencyAuthorisationRepository(self.conn)
        self.rulesets = SqlRulesetRepository(self.conn, now)
        self.counters = SqlCounterRepository(self.conn)
        self.audit = SqlAuditTrail(self.conn, now)
        self.idempotency = SqlIdempotencyStore(self.conn, now)
        self.seals = SqlSealRepository(self.conn, now)
        self.routes = SqlRouteRepository(self.conn, now)
        self.trips = SqlTripRepository(self.conn)
        self.alerts = SqlAlertRepository(self.conn, now)
        self.events = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()
            if self._lock is not None:
                self._lock.release()
        if isinstance(exc, IntegrityError):
            # A concurrent twin won a uniqueness race: a conflict, not a server error.
            raise Conflict(
                "someone else just created the same record; reload and try again",
                "相同记录刚被他人创建，请刷新后重试",
            ) from exc

    def commit(self) -> None:
        self.audit.flush()
        self._tx.commit()

    def rollback(self) -> None:
        self._tx.rollback()


def request_digest(body: Any) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


_CLAIM_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


class SqlIdempotencyStore:
    """Remembers (actor, scope, key) → result so a retried request does not act twice."""

    def __init__(self, conn: Connection, now: Any) -> None:
        self._conn = conn
        self._now = now

    def get(self, actor: str, scope: str, key: str) -> tuple[str, dict[str, Any]] | None:
        """The response remembered under the key, once no request with the same key is still
        running (`claim_lock`): None leaves the key to this unit of work until it ends."""
        self.claim_lock(actor, scope, key)
        row = self._conn.execute(
            select(t.idempotency_keys.c.request_digest, t.idempotency_keys.c.response).where(
                t.idempotency_keys.c.actor == actor,
                t.idempotency_keys.c.scope == scope,
                t.idempotency_keys.c.key == key,
            )
        ).one_or_none()
        return None if row is None else (str(row[0]), dict(row[1]))

    def claim_lock(self, actor: str, scope: str, key: str) -> None:
        """Wait for a twin request with the same key, and hold the key until the transaction
        ends. A client that timed out retries while its first request still runs; without
        the lock the retry ran the command too and, on PostgreSQL, lost a row lock or a
        version to its twin (409 Conflict) instead of answering the twin's response. With it,
        the retry looks the key up after the twin committed (READ COMMITTED reads anew at
        each statement) and replays it. SQLite's writers already run one at a time."""
        if self._conn.dialect.name == "postgresql":
            claim = json.dumps(["landport.idempotency", actor, scope, key], ensure_ascii=False)
            self._conn.execute(_CLAIM_LOCK, {"key": claim})

    def put(
        self,
        actor: str,
        scope: str,
        key: str,
        digest: str,
        status_code: int,
        response: dict[str, Any],
    ) -> None:
        try:
            self._conn.execute(
                insert(t.idempotency_keys).values(
                    actor=actor,
                    scope=scope,
                    key=key,
                    request_digest=digest,
                    status_code=status_code,
                    response=response,
                    created_at=self._now,
                )
            )
        except IntegrityError as exc:
            raise DuplicateRequest(key) from exc
