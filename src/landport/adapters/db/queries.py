"""Read side: lists and worklists straight from the tables, never through the aggregates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, exists, func, select

from landport.adapters.db import tables as t
from landport.adapters.db.repositories import (
    SqlAgencyAuthorisationRepository,
    SqlDeclarationRepository,
    SqlInspectionRepository,
    authorisation_from_row,
)
from landport.declarations.model import CustomsDeclaration
from landport.enterprises.model import AgencyAuthorisation
from landport.inspection.model import InspectionRecord


@dataclass(frozen=True)
class DeclarationFilter:
    enterprise_uscc: str | None = None
    status: str | None = None
    lane: str | None = None
    exit_port: str | None = None
    trade_mode: str | None = None
    vehicle_plate: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    #: True: only declarations with an armed e-lock (an active trip); False: only those
    #: without one (with status "released", the trucks waiting for a seal).
    sealed: bool | None = None
    #: A declarant's enterprise: only the declarations it is consignor of or lodged as
    #: declaring agent (customs broker) for a client.
    visible_to: str | None = None


SUMMARY_COLUMNS = (
    t.declarations.c.id,
    t.declarations.c.number,
    t.declarations.c.enterprise_uscc,
    t.declarations.c.declaring_agent_uscc,
    t.declarations.c.declarant,
    t.declarations.c.status,
    t.declarations.c.lane,
    t.declarations.c.risk_score,
    t.declarations.c.exit_port,
    t.declarations.c.trade_mode,
    t.declarations.c.vehicle_plate,
    t.declarations.c.created_at,
    t.declarations.c.updated_at,
)


def _where(f: DeclarationFilter) -> list[Any]:
    c = t.declarations.c
    conditions: list[Any] = []
    for column, value in (
        (c.enterprise_uscc, f.enterprise_uscc),
        (c.status, f.status),
        (c.lane, f.lane),
        (c.exit_port, f.exit_port),
        (c.trade_mode, f.trade_mode),
        (c.vehicle_plate, f.vehicle_plate),
    ):
        if value is not None:
            conditions.append(column == value)
    if f.visible_to is not None:
        conditions.append(t.visible_to(f.visible_to))
    if f.created_from is not None:
        conditions.append(c.created_at >= f.created_from)
    if f.created_to is not None:
        conditions.append(c.created_at < f.created_to)
    if f.sealed is not None:
        # One probe per declaration into the partial unique index of active trips
        # (uq_trips_one_active_per_declaration).
        armed = exists().where(t.trips.c.declaration_id == c.id, t.trips.c.active.is_(True))
        conditions.append(armed if f.sealed else ~armed)
    return conditions


def list_declarations(
    engine: Engine, f: DeclarationFilter, *, page: int, page_size: int
) -> tuple[int, list[dict[str, Any]]]:
    """Newest first, with the total for the pager."""
    where = _where(f)
    with engine.connect() as conn:
        total = conn.execute(
            select(func.count()).select_from(t.declarations).where(*where)
        ).scalar_one()
        rows = (
            conn.execute(
                select(*SUMMARY_COLUMNS)
                .where(*where)
                .order_by(t.declarations.c.created_at.desc(), t.declarations.c.id)
                .limit(page_size)
                .offset((page - 1) * page_size)
            )
            .mappings()
            .all()
        )
    return int(total), [dict(r) for r in rows]


LANE_SEVERITY = case(
    (t.declarations.c.lane == "red", 0), (t.declarations.c.lane == "yellow", 1), else_=2
)


def worklist(engine: Engine, *, limit: int = 200) -> list[dict[str, Any]]:
    """The officer's queue: declarations awaiting customs, riskiest and oldest first."""
    c = t.declarations.c
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(*SUMMARY_COLUMNS, c.assessment)
                .where(c.status.in_(["document_check", "examination", "held"]))
                .order_by(LANE_SEVERITY, c.risk_score.desc(), c.updated_at)
                .limit(limit)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


def load_declaration(
    engine: Engine, declaration_id: str
) -> tuple[CustomsDeclaration, list[InspectionRecord]] | None:
    with engine.connect() as conn:
        declaration = SqlDeclarationRepository(conn).get(declaration_id)
        if declaration is None:
            return None
        inspections = SqlInspectionRepository(conn, declaration.updated_at).for_declaration(
            declaration_id
        )
    return declaration, inspections


def audit_entries(
    engine: Engine, *, entity_id: str | None, after_seq: int, limit: int
) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        q = select(t.audit_log).where(t.audit_log.c.seq > after_seq)
        if entity_id is not None:
            q = q.where(t.audit_log.c.entity_id == entity_id)
        rows = conn.execute(q.order_by(t.audit_log.c.seq).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def list_rulesets(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(
                    t.risk_rulesets.c.version,
                    t.risk_rulesets.c.created_at,
                    t.risk_rulesets.c.created_by,
                    t.risk_rulesets.c.comment,
                ).order_by(t.risk_rulesets.c.version.desc())
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


def list_enterprises(engine: Engine, *, uscc: str | None = None) -> list[dict[str, Any]]:
    """All enterprises, or only one (what a declarant may see of the register)."""
    query = select(t.enterprises).order_by(t.enterprises.c.uscc)
    if uscc is not None:
        query = query.where(t.enterprises.c.uscc == uscc)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [dict(r) for r in rows]


def ruleset_document(engine: Engine, version: int | None = None) -> tuple[int, Any] | None:
    """A published ruleset (the latest when no version is given), read without the write lock."""
    r = t.risk_rulesets
    query = select(r.c.version, r.c.document)
    query = query.where(r.c.version == version) if version is not None else query
    with engine.connect() as conn:
        row = conn.execute(query.order_by(r.c.version.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), row[1])


def list_users(engine: Engine) -> list[dict[str, Any]]:
    c = t.users.c
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(
                    c.username, c.role, c.enterprise_uscc, c.port_id, c.active, c.created_at
                ).order_by(c.username)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


def find_user(engine: Engine, username: str) -> Any:
    """The user for a login attempt, read without taking the write lock."""
    from landport.adapters.db.repositories import SqlUserRepository

    with engine.connect() as conn:
        return SqlUserRepository(conn, datetime.now().astimezone()).get(username)


def authorisations_reader(engine: Engine) -> Callable[[str, str], list[AgencyAuthorisation]]:
    """The authorisations of a consignor for a broker, read without the write lock."""

    def between(consignor_uscc: str, agent_uscc: str) -> list[AgencyAuthorisation]:
        with engine.connect() as conn:
            return SqlAgencyAuthorisationRepository(conn).between(consignor_uscc, agent_uscc)

    return between


def list_authorisations(
    engine: Engine, *, consignor_uscc: str | None = None, agent_uscc: str | None = None
) -> list[AgencyAuthorisation]:
    """Agency authorisations, revoked ones too, the newest recorded first."""
    a = t.agency_authorisations.c
    query = select(t.agency_authorisations).order_by(a.recorded_at.desc(), a.id)
    if consignor_uscc is not None:
        query = query.where(a.consignor_uscc == consignor_uscc)
    if agent_uscc is not None:
        query = query.where(a.agent_uscc == agent_uscc)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [authorisation_from_row(r) for r in rows]
