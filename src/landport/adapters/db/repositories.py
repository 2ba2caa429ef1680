"""Repositories: map rows to the plain domain objects and back, inside one connection."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from landport.adapters.db import tables as t
from landport.adapters.db.engine import counter_engine
from landport.declarations.codec import content_from_dict, content_to_dict
from landport.declarations.model import CustomsDeclaration, DeclarationStatus, StatusChange
from landport.enterprises.model import AgencyAuthorisation, CreditRating, Enterprise, Role, User
from landport.inspection.model import InspectionKind, InspectionRecord, InspectionResult
from landport.shared.errors import Conflict

# Statements built once: per-call construction made SQLAlchemy recompute cache keys each time.
_INSERT_DECLARATION = insert(t.declarations)
_INSERT_EVENT = insert(t.declaration_events)
_UPDATE_DECLARATION = (
    update(t.declarations)
    .where(t.declarations.c.id == bindparam("b_id"))
    .where(t.declarations.c.version == bindparam("b_version"))
    .values({c.name: bindparam(c.name) for c in t.declarations.c if c.name != "id"})
)
_DECLARATION = select(t.declarations).where(t.declarations.c.id == bindparam("declaration_id"))
_EVENTS_OF = (
    select(t.declaration_events)
    .where(t.declaration_events.c.declaration_id == bindparam("declaration_id"))
    .order_by(t.declaration_events.c.id)
)
_HAS_RELEASED = (
    select(t.declarations.c.id)
    .where(t.declarations.c.enterprise_uscc == bindparam("uscc"))
    .where(t.declarations.c.status.in_(["released", "exited"]))
    .limit(1)
)


class SqlDeclarationRepository:
    """Declarations with optimistic versioning: a stale save raises Conflict (HTTP 409)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._persisted_history: dict[str, int] = {}

    def add(self, d: CustomsDeclaration) -> None:
        self._conn.execute(_INSERT_DECLARATION, self._row(d))
        self._write_history(d, 0)

    def get(self, declaration_id: str) -> CustomsDeclaration | None:
        key = {"declaration_id": declaration_id}
        row = self._conn.execute(_DECLARATION, key).mappings().one_or_none()
        if row is None:
            return None
        events = self._conn.execute(_EVENTS_OF, key).mappings().all()
        d = declaration_from_row(row)
        d.history = [
            StatusChange(DeclarationStatus(e["status"]), e["at"], e["actor"], e["reason"])
            for e in events
        ]
        self._persisted_history[d.id] = len(d.history)
        return d

    def save(self, d: CustomsDeclaration) -> None:
        row = self._row(d)
        row.update(version=d.version + 1, b_id=d.id, b_version=d.version)
        result = self._conn.execute(_UPDATE_DECLARATION, row)
        if result.rowcount != 1:
            raise Conflict(
                f"declaration {d.id} was changed by someone else; reload and try again",
                f"报关单 {d.id} 已被他人修改，请刷新后重试",
            )
        d.version += 1
        self._write_history(d, self._persisted_history.get(d.id, 0))

    def has_released(self, uscc: str) -> bool:
        return self._conn.execute(_HAS_RELEASED, {"uscc": uscc}).first() is not None

    def _write_history(self, d: CustomsDeclaration, already: int) -> None:
        new = d.history[already:]
        if new:
            self._conn.execute(
                _INSERT_EVENT,
                [
                    {
                        "declaration_id": d.id,
                        "status": h.status.value,
                        "at": h.at,
                        "actor": h.actor,
                        "reason": h.reason,
                    }
                    for h in new
                ],
            )
        self._persisted_history[d.id] = len(d.history)

    @staticmethod
    def _row(d: CustomsDeclaration) -> dict[str, Any]:
        score = d.assessment.get("score") if d.assessment else None
        return {
            "id": d.id,
            "number": d.number,
            "enterprise_uscc": d.enterprise_uscc,
            "declaring_agent_uscc": d.declaring_agent_uscc,
            "declarant": d.declarant,
            "status": d.status.value,
            "lane": d.lane,
            "risk_score": score,
            "exit_port": d.content.exit_port,
            "trade_mode": d.content.trade_mode,
            "vehicle_plate": d.content.vehicle_plate,
            "content": content_to_dict(d.content),
            "assessment": d.assessment,
            "warnings": d.warnings,
            "decision_reason": d.decision_reason,
            "passport_digest": d.passport_digest,
            "held_from": d.held_from.value if d.held_from else None,
            "version": d.version,
            "created_at": d.created_at,
            "updated_at": d.updated_at,
        }


def declaration_from_row(row: Any) -> CustomsDeclaration:
    return CustomsDeclaration(
        id=row["id"],
        enterprise_uscc=row["enterprise_uscc"],
        declarant=row["declarant"],
        content=content_from_dict(row["content"]),
        status=DeclarationStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        number=row["number"],
        lane=row["lane"],
        assessment=row["assessment"],
        warnings=list(row["warnings"] or []),
        decision_reason=row["decision_reason"],
        passport_digest=row["passport_digest"],
        held_from=DeclarationStatus(row["held_from"]) if row["held_from"] else None,
        declaring_agent_uscc=row["declaring_agent_uscc"],
    )


class SqlInspectionRepository:
    def __init__(self, conn: Connection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    def add(self, r: InspectionRecord) -> None:
        self._conn.execute(
            insert(t.inspections).values(
                declaration_id=r.declaration_id,
                kind=r.kind.value,
                result=r.result.value,
                started_at=r.started_at,
                finished_at=r.finished_at,
                officer=r.officer,
                findings=r.findings,
                image_sha256=r.image_sha256,
                equipment_id=r.equipment_id,
                recorded_at=self._now,
            )
        )

    def for_declaration(self, declaration_id: str) -> list[InspectionRecord]:
        rows = self._conn.execute(
            select(t.inspections)
            .where(t.inspections.c.declaration_id == declaration_id)
            .order_by(t.inspections.c.id)
        ).mappings()
        return [
            InspectionRecord(
                declaration_id=r["declaration_id"],
                kind=InspectionKind(r["kind"]),
                result=InspectionResult(r["result"]),
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                officer=r["officer"],
                findings=r["findings"],
                image_sha256=r["image_sha256"],
                equipment_id=r["equipment_id"],
            )
            for r in rows
        ]


class SqlEnterpriseRepository:
    def __init__(self, conn: Connection, now: datetime) -> None:
        self._conn = conn
        self._now = now
        self._seen: dict[str, Enterprise | None] = {}  # one read per transaction

    def get(self, uscc: str) -> Enterprise | None:
        if uscc not in self._seen:
            self._seen[uscc] = self._load(uscc)
        return self._seen[uscc]

    def _load(self, uscc: str) -> Enterprise | None:
        r = (
            self._conn.execute(select(t.enterprises).where(t.enterprises.c.uscc == uscc))
            .mappings()
            .one_or_none()
        )
        if r is None:
            return None
        return Enterprise(
            uscc=r["uscc"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            province=r["province"],
            rating=CreditRating(r["rating"]),
            customs_code=r["customs_code"],
            exports_here_since=r["exports_here_since"],
        )

    def add(self, e: Enterprise) -> None:
        self._seen[e.uscc] = e
        self._conn.execute(
            insert(t.enterprises).values(
                uscc=e.uscc,
                customs_code=e.customs_code,
                name_zh=e.name_zh,
                name_en=e.name_en,
                province=e.province,
                rating=e.rating.value,
                created_at=self._now,
                exports_here_since=e.exports_here_since,
            )
        )

    def set_export_history(self, uscc: str, since: date | None) -> None:
        self._seen.pop(uscc, None)
        self._conn.execute(
            update(t.enterprises)
            .where(t.enterprises.c.uscc == uscc)
            .values(exports_here_since=since)
        )


class SqlAgencyAuthorisationRepository:
    """Authorisations are never deleted: a revocation is stamped on the row."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, a: AgencyAuthorisation) -> None:
        self._conn.execute(insert(t.agency_authorisations).values(**_authorisation_row(a)))

    def get(self, authorisation_id: str) -> AgencyAuthorisation | None:
        query = select(t.agency_authorisations).where(
            t.agency_authorisations.c.id == authorisation_id
        )
        row = self._conn.execute(query).mappings().one_or_none()
        return None if row is None else authorisation_from_row(row)

    def between(
        self, consignor_uscc: str, agent_uscc: str, *, for_update: bool = False
    ) -> list[AgencyAuthorisation]:
        c = t.agency_authorisations.c
        if for_update:  # the consignor's row: a concurrent record of the pair waits for ours
            e = t.enterprises.c
            lock = select(e.uscc).where(e.uscc == consignor_uscc).with_for_update()
            self._conn.execute(lock).all()
        query = (
            select(t.agency_authorisations)
            .where(c.consignor_uscc == consignor_uscc, c.agent_uscc == agent_uscc)
            .order_by(c.valid_from, c.id)
        )
        return [authorisation_from_row(r) for r in self._conn.execute(query).mappings()]

    def save_revocation(self, a: AgencyAuthorisation) -> None:
        c = t.agency_authorisations.c
        result = self._conn.execute(
            update(t.agency_authorisations)
            .where(c.id == a.id, c.revoked_at.is_(None))
            .values(
                revoked_at=a.revoked_at,
                revoked_by=a.revoked_by,
                revocation_reason=a.revocation_reason,
            )
        )
        if result.rowcount != 1:  # a concurrent revocation committed first
            raise Conflict(
                f"agency authorisation {a.id} was already revoked",
                f"代理报关委托 {a.id} 已被撤销",
            )


def _authorisation_row(a: AgencyAuthorisation) -> dict[str, Any]:
    """The columns are the dataclass's fields, one for one."""
    return {f.name: getattr(a, f.name) for f in fields(AgencyAuthorisation)}


def authorisation_from_row(row: Any) -> AgencyAuthorisation:
    return AgencyAuthorisation(**{f.name: row[f.name] for f in fields(AgencyAuthorisation)})


class SqlUserRepository:
    def __init__(self, conn: Connection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    def get(self, username: str, *, lock: bool = False) -> User | None:
        query = select(t.users).where(t.users.c.username == username)
        if lock:  # PostgreSQL: a row lock; SQLite's write transaction holds the file already
            query = query.with_for_update()
        r = self._conn.execute(query).mappings().one_or_none()
        if r is None:
            return None
        return User(
            username=r["username"],
            role=Role(r["role"]),
            password_hash=r["password_hash"],
            enterprise_uscc=r["enterprise_uscc"],
            port_id=r["port_id"],
            active=r["active"],
            id=r["id"],
            session_generation=r["session_generation"],
        )

    def add(self, u: User) -> None:
        self._conn.execute(
            insert(t.users).values(
                username=u.username,
                password_hash=u.password_hash,
                role=u.role.value,
                enterprise_uscc=u.enterprise_uscc,
                port_id=u.port_id,
                active=u.active,
                session_generation=u.session_generation,
                created_at=self._now,
            )
        )

    def active_admins(self) -> list[str]:
        c = t.users.c
        query = (
            select(c.username)
            .where(c.role == Role.PORT_ADMIN.value, c.active.is_(True))
            .order_by(c.username)
            .with_for_update()
        )
        return list(self._conn.execute(query).scalars())

    def save(self, u: User) -> None:
        self._conn.execute(
            update(t.users)
            .where(t.users.c.username == u.username)
            .values(
                password_hash=u.password_hash,
                active=u.active,
                session_generation=u.session_generation,
            )
        )


class SqlRulesetRepository:
    """Rulesets are versioned and never edited: a change is a new version."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    def current(self) -> tuple[int, dict[str, Any]]:
        row = self._conn.execute(
            select(t.risk_rulesets.c.version, t.risk_rulesets.c.document)
            .order_by(t.risk_rulesets.c.version.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            raise Conflict(
                "no risk ruleset is loaded: run 'landport risk load-default'", "尚未加载风险规则"
            )
        return int(row[0]), dict(row[1])

    def current_version(self) -> int:
        version = self._conn.execute(select(func.max(t.risk_rulesets.c.version))).scalar()
        if version is None:
            raise Conflict(
                "no risk ruleset is loaded: run 'landport db upgrade'", "尚未加载风险规则"
            )
        return int(version)

    def get(self, version: int) -> dict[str, Any] | None:
        doc = self._conn.execute(
            select(t.risk_rulesets.c.document).where(t.risk_rulesets.c.version == version)
        ).scalar_one_or_none()
        return None if doc is None else dict(doc)

    def add(self, document: dict[str, Any], *, actor: str, comment: str | None) -> int:
        latest = self._conn.execute(select(func.max(t.risk_rulesets.c.version))).scalar()
        version = int(latest or 0) + 1
        document = {**document, "version": version}
        self._conn.execute(
            insert(t.risk_rulesets).values(
                version=version,
                document=document,
                created_at=self._now,
                created_by=actor,
                comment=comment,
            )
        )
        return version


class SqlCounterRepository:
    """Increasing serial numbers per name, safe under concurrent writers on both engines.

    On PostgreSQL the counter moves in its own tiny autocommit transaction, like a sequence:
    the row lock lasts microseconds instead of the whole submission, at the price of a
    skipped number when the submission then rolls back. That transaction runs on a small
    pool of its own (`counter_engine`), never on the unit of work's pool, which the units of
    work waiting for their numbers could otherwise have emptied. SQLite has one writer
    anyway, so there the counter moves inside the transaction and stays gap-free.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def next(self, name: str) -> int:
        if self._conn.dialect.name == "postgresql":
            with counter_engine(self._conn.engine).connect() as own:
                return self._next(own, name)
        return self._next(self._conn, name)

    @staticmethod
    def _next(conn: Connection, name: str) -> int:
        dialect = conn.dialect.name
        ins: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(t.counters)
        stmt = (
            ins.values(name=name, value=1)
            .on_conflict_do_update(
                index_elements=[t.counters.c.name], set_={"value": t.counters.c.value + 1}
            )
            .returning(t.counters.c.value)
        )
        return int(conn.execute(stmt).scalar_one())
