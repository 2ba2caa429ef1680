"""Risk rules (versioned, managed by the port administrator) and assessment audits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from landport.adapters.db.queries import list_rulesets, ruleset_document
from landport.entrypoints.web.deps import Admin, RiskReader, ServicesDep
from landport.entrypoints.web.views import KeyPath
from landport.risk.handlers import PublishRuleset, RecomputeAssessment
from landport.shared.errors import NotFound

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])


@router.get("/rulesets")
def rulesets(services: ServicesDep, actor: RiskReader) -> dict[str, Any]:
    rows = list_rulesets(services.read_engine)
    return {"items": [{**r, "created_at": r["created_at"].isoformat()} for r in rows]}


@router.get("/rulesets/current")
def current_ruleset(services: ServicesDep, actor: RiskReader) -> dict[str, Any]:
    found = ruleset_document(services.read_engine)
    if found is None:
        raise NotFound("no ruleset is published yet", "尚未发布风险规则")
    return {"version": found[0], "document": found[1]}


@router.get("/rulesets/{version}")
def ruleset(version: KeyPath, services: ServicesDep, actor: RiskReader) -> dict[str, Any]:
    found = ruleset_document(services.read_engine, version)
    if found is None:
        raise NotFound(f"no ruleset version {version}", f"没有第 {version} 版规则")
    return {"version": version, "document": found[1]}


@router.post("/rulesets", status_code=201)
def publish(
    services: ServicesDep,
    actor: Admin,
    document: Annotated[dict[str, Any], Body()],
    comment: str | None = None,
) -> dict[str, Any]:
    """Publish a whole ruleset as the next version; invalid rules are listed by path."""
    version = services.bus.handle(PublishRuleset(actor, document, comment)).result
    return {"version": version}


@router.post("/assessments/{declaration_id}/recompute")
def recompute(declaration_id: str, services: ServicesDep, actor: RiskReader) -> dict[str, Any]:
    """Recompute a recorded lane decision from its facts, ruleset version and seed."""
    result: dict[str, Any] = services.bus.handle(RecomputeAssessment(actor, declaration_id)).result
    return result
