"""The customs officer's desk: worklist, inspection records, decisions, the passport."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from landport.adapters.db.queries import load_declaration, worklist
from landport.declarations.commands import (
    DecideDeclaration,
    EscalateToExamination,
    RecordInspection,
)
from landport.entrypoints.web.deps import DeclarationReader, Officer, ServicesDep
from landport.entrypoints.web.views import (
    IdempotencyKey,
    claim,
    declaration_view,
    passport_view,
    summary_view,
)
from landport.shared.errors import Conflict, NotFound

router = APIRouter(prefix="/api/v1", tags=["customs"])


class InspectionBody(BaseModel):
    """A document check, a non-intrusive scan or a physical examination."""

    kind: Literal["document_check", "scan", "physical_examination"]
    result: Literal["conform", "discrepancy", "clear", "suspicious"]
    started_at: AwareDatetime
    finished_at: AwareDatetime
    findings: str | None = Field(default=None, max_length=4000)
    image_sha256: str | None = Field(default=None, description="SHA-256 of the scan image file")
    equipment_id: str | None = Field(default=None, max_length=40)


class DecisionBody(BaseModel):
    reason: str | None = Field(default=None, max_length=1000)


@router.get("/worklist")
def officer_worklist(
    services: ServicesDep, actor: Officer, limit: Annotated[int, Query(ge=1, le=500)] = 200
) -> dict[str, Any]:
    """Declarations awaiting customs, red before yellow, highest risk score first."""
    items = []
    for row in worklist(services.read_engine, limit=limit):
        assessment = row.pop("assessment") or {}
        view = summary_view(row)
        view["fired_rules"] = assessment.get("fired", [])
        view["explanation_en"] = assessment.get("explanation_en")
        view["explanation_zh"] = assessment.get("explanation_zh")
        items.append(view)
    return {"items": items}


@router.post("/declarations/{declaration_id}/inspections", status_code=201)
def record(
    declaration_id: str,
    body: InspectionBody,
    services: ServicesDep,
    actor: Officer,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    """An inspection's record. With an Idempotency-Key a retry (the answer lost on the way)
    answers the first record instead of adding a second to the inspection passport."""
    cmd = RecordInspection(
        actor,
        declaration_id,
        body.kind,
        body.result,
        body.started_at,
        body.finished_at,
        body.findings,
        body.image_sha256,
        body.equipment_id,
    )
    retried = {"declaration_id": declaration_id, **body.model_dump(mode="json")}
    retry = claim(actor, "inspection", key, retried, 201, _record_view)
    outcome = services.bus.handle(cmd, retry)
    if outcome.replayed is not None:
        return dict(outcome.replayed)
    return _record_view(outcome.result)


def _record_view(record: Any) -> dict[str, Any]:
    return dict(record.as_dict())


@router.post("/declarations/{declaration_id}/escalate")
def escalate(
    declaration_id: str, body: DecisionBody, services: ServicesDep, actor: Officer
) -> dict[str, Any]:
    cmd = EscalateToExamination(actor, declaration_id, body.reason or "document check")
    return declaration_view(services.bus.handle(cmd).result)


def _decide(decision: str) -> Any:
    def endpoint(
        declaration_id: str, body: DecisionBody, services: ServicesDep, actor: Officer
    ) -> dict[str, Any]:
        cmd = DecideDeclaration(actor, declaration_id, decision, body.reason)
        return declaration_view(services.bus.handle(cmd).result)

    endpoint.__name__ = f"{decision}_declaration"
    endpoint.__doc__ = f"Customs decision: {decision.replace('_', ' ')} (409 if not allowed now)."
    return endpoint


for _decision, _path in (
    ("release", "release"),
    ("hold", "hold"),
    ("reject", "reject"),
    ("lift_hold", "lift-hold"),
):
    router.add_api_route(
        f"/declarations/{{declaration_id}}/{_path}", _decide(_decision), methods=["POST"]
    )


@router.get("/declarations/{declaration_id}/passport")
def inspection_passport(
    declaration_id: str, services: ServicesDep, actor: DeclarationReader
) -> dict[str, Any]:
    """The inspection passport the e-lock carries; its digest is recomputed and compared."""
    found = load_declaration(services.read_engine, declaration_id)
    if found is None or not actor.may_see_declaration(
        found[0].enterprise_uscc, found[0].declaring_agent_uscc
    ):
        raise NotFound(f"declaration {declaration_id} not found", f"未找到报关单 {declaration_id}")
    view = passport_view(*found)
    if view is None:
        raise Conflict("the goods are not released: no passport yet", "货物尚未放行，暂无查验护照")
    return view
