"""Port administration: enterprises, users and agency authorisations; reference data."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from landport.adapters.db.queries import (
    list_authorisations,
    list_enterprises,
    list_users,
)
from landport.adapters.db.views import plain_row
from landport.adapters.security import hash_password
from landport.enterprises.agency import (
    RecordAgencyAuthorisation,
    RevokeAgencyAuthorisation,
    authorisation_snapshot,
)
from landport.enterprises.handlers import CreateUser, RecordExportHistory, RegisterEnterprise
from landport.entrypoints.web.deps import Admin, AnyUser, ServicesDep
from landport.shared.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["administration"])


class EnterpriseBody(BaseModel):
    uscc: str
    name_zh: str
    name_en: str
    province: str
    rating: Literal["advanced", "general", "untrusted"]
    customs_code: str | None = None
    exports_here_since: date | None = None  # first export at this port, from earlier records


class UserBody(BaseModel):
    username: str
    password: str = Field(min_length=8, max_length=200)
    role: str
    enterprise_uscc: str | None = None
    port_id: str | None = None


@router.post("/enterprises", status_code=201)
def register_enterprise(
    body: EnterpriseBody, services: ServicesDep, actor: Admin
) -> dict[str, Any]:
    cmd = RegisterEnterprise(
        actor,
        body.uscc,
        body.name_zh,
        body.name_en,
        body.province,
        body.rating,
        body.customs_code,
        body.exports_here_since,
    )
    services.bus.handle(cmd)
    return body.model_dump(mode="json")


class ExportHistoryBody(BaseModel):
    exports_here_since: date | None


@router.put("/enterprises/{uscc}/export-history")
def record_export_history(
    uscc: str, body: ExportHistoryBody, services: ServicesDep, actor: Admin
) -> dict[str, Any]:
    """The enterprise's first export through this port, from earlier records (or none)."""
    services.bus.handle(RecordExportHistory(actor, uscc, body.exports_here_since))
    return {"uscc": uscc, **body.model_dump(mode="json")}


@router.get("/enterprises")
def enterprises(services: ServicesDep, actor: AnyUser) -> dict[str, Any]:
    """Declarants see their own enterprise only."""
    uscc = (actor.enterprise_uscc or "") if actor.is_declarant else None
    rows = list_enterprises(services.read_engine, uscc=uscc)
    return {"items": [plain_row(r) for r in rows]}


class AuthorisationBody(BaseModel):
    consignor_uscc: str = Field(description="the consignor (境内发货人) giving the authorisation")
    agent_uscc: str = Field(description="the customs broker (报关企业) authorised to declare")
    valid_from: date = Field(description="first Beijing date it is valid on")
    valid_to: date = Field(description="last Beijing date it is valid on (included)")


class RevocationBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


@router.post("/agency-authorisations", status_code=201)
def record_agency_authorisation(
    body: AuthorisationBody, services: ServicesDep, actor: Admin
) -> dict[str, Any]:
    """Record a consignor's written authorisation (代理报关委托书) of a customs broker: the
    broker's declarants may then declare for the consignor on the dates it covers."""
    cmd = RecordAgencyAuthorisation(
        actor, body.consignor_uscc, body.agent_uscc, body.valid_from, body.valid_to
    )
    return authorisation_snapshot(services.bus.handle(cmd).result)


@router.get("/agency-authorisations")
def agency_authorisations(
    services: ServicesDep,
    actor: Admin,
    consignor_uscc: str | None = None,
    agent_uscc: str | None = None,
) -> dict[str, Any]:
    """Every recorded authorisation, revoked ones too, the newest first; `in_force`: whether
    it lets the broker declare for the consignor today (a Beijing date)."""
    found = list_authorisations(
        services.read_engine, consignor_uscc=consignor_uscc, agent_uscc=agent_uscc
    )
    now = services.clock.now()
    return {"items": [{**authorisation_snapshot(a), "in_force": a.in_force(now)} for a in found]}


@router.post("/agency-authorisations/{authorisation_id}/revoke")
def revoke_agency_authorisation(
    authorisation_id: str, body: RevocationBody, services: ServicesDep, actor: Admin
) -> dict[str, Any]:
    """From now on the broker may no longer declare for the consignor under it."""
    cmd = RevokeAgencyAuthorisation(actor, authorisation_id, body.reason)
    return authorisation_snapshot(services.bus.handle(cmd).result)


@router.post("/users", status_code=201)
def create_user(body: UserBody, services: ServicesDep, actor: Admin) -> dict[str, Any]:
    cmd = CreateUser(
        actor,
        body.username,
        hash_password(body.password),
        body.role,
        body.enterprise_uscc,
        body.port_id,
    )
    services.bus.handle(cmd)
    return body.model_dump(exclude={"password"})


@router.get("/users")
def users(services: ServicesDep, actor: Admin) -> dict[str, Any]:
    return {"items": [plain_row(r) for r in list_users(services.read_engine)]}


REFERENCE_LISTS = (
    "trade_modes",
    "transport_modes",
    "trade_terms",
    "provinces",
    "exit_ports",
    "container_size_types",
    "places",
)


@router.get("/reference/{name}")
def reference(name: str, services: ServicesDep, actor: AnyUser) -> dict[str, Any]:
    """Code lists for forms; entries say how sure we are of them ('confidence')."""
    cat = services.bus.context.catalog
    if name not in REFERENCE_LISTS:
        raise NotFound(
            f"no reference list '{name}'; try one of {', '.join(REFERENCE_LISTS)}", "没有该参考数据"
        )
    if name == "exit_ports":
        return {"items": sorted(cat.exit_ports)}
    if name == "container_size_types":
        return {
            "items": [
                {"code": k, "max_gross_kg": str(v)} for k, v in cat.container_max_gross_kg.items()
            ]
        }
    if name == "places":
        return {
            "items": [
                p.__dict__ if hasattr(p, "__dict__") else _place(p) for p in cat.places.values()
            ]
        }
    table = getattr(cat, name)
    return {"items": [_entry(e) for e in table.values()]}


def _entry(e: Any) -> dict[str, Any]:
    return {"code": e.code, "name_en": e.name_en, "name_zh": e.name_zh, "confidence": e.confidence}


def _place(p: Any) -> dict[str, Any]:
    return {s: getattr(p, s) for s in p.__slots__}
