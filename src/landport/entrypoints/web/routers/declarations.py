"""Declarations: lodge, submit, cancel, read, list. Routers only translate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from landport.adapters.db.queries import (
    DeclarationFilter,
    authorisations_reader,
    list_declarations,
    load_declaration,
)
from landport.declarations.agent import check_as_declarant
from landport.declarations.commands import CancelDeclaration, DeclareExport, SubmitDeclaration
from landport.declarations.model import DeclarationStatus
from landport.enterprises.model import Actor
from landport.entrypoints.web.deps import Declarant, DeclarationReader, ServicesDep
from landport.entrypoints.web.views import (
    IdempotencyKey,
    Moment,
    Page,
    PageSize,
    as_seen_by,
    claim,
    declaration_view,
    exit_port_filter,
    status_filter,
    summary_view,
)
from landport.risk.model import SelectivityLane
from landport.shared.clock import beijing_date
from landport.shared.errors import NotFound

router = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])


EXAMPLE = {
    "trade_mode": "0110",
    "consignor_uscc": "91330100716105852F",
    "exit_port": "gyirong-port",
    "destination_country": "NP",
    "transport_mode": "4",
    "trade_terms": "3",
    "vehicle_plate": "浙A12345",
    "containers": [{"number": "CSQU3054383", "size_type": "22G1", "gross_kg": 12000}],
    "gross_kg": 9000,
    "net_kg": 8200,
    "packages": 120,
    "items": [
        {
            "hs_code": "8507600010",
            "name": "锂离子蓄电池 lithium-ion cells",
            "quantity": 4000,
            "unit": "piece",
            "value": 820000,
            "currency": "CNY",
            "origin_province": "zhejiang",
            "net_kg": 8200,
        }
    ],
}


def _answer(actor: Actor, replayed: dict[str, Any] | None, made: Any) -> dict[str, Any]:
    """The declaration as the declarant may read it: made now, or remembered under its
    Idempotency-Key. The whole view is remembered (a response remembered before the
    assessment was withheld also included it), so every answer is filtered here on its way
    out, a replayed one as much as a new one."""
    return as_seen_by(actor, replayed or declaration_view(made))


@router.post("", status_code=201)
def lodge_declaration(
    services: ServicesDep,
    actor: Declarant,
    payload: Annotated[dict[str, Any], Body(openapi_examples={"nev": {"value": EXAMPLE}})],
    idempotency_key: IdempotencyKey = None,
    submit: Annotated[bool, Query(description="lodge and submit in one step")] = False,
) -> JSONResponse:
    """Every broken rule is reported at once (422 with field, code, message_en, message_zh)."""
    submit = submit or payload.get("submit") is True
    # One scope for drafts and submissions: the same key sent once with submit and once
    # without is one key reused for two requests, refused, not two declarations.
    request = {"payload": payload, "submit": submit}
    retry = claim(actor, "declare", idempotency_key, request, 201, declaration_view)
    outcome = services.bus.handle(DeclareExport(actor, payload, submit=submit), retry)
    return JSONResponse(_answer(actor, outcome.replayed, outcome.result), status_code=201)


@router.post("/check")
def check_declaration_draft(
    services: ServicesDep,
    actor: Declarant,
    payload: Annotated[dict[str, Any], Body(openapi_examples={"nev": {"value": EXAMPLE}})],
) -> dict[str, Any]:
    """Every rule lodging applies to the body (the same check), answered while the declarant
    types: `{valid, errors, warnings}`, each violation `{field, code, message_en,
    message_zh}`. Nothing is stored, so nothing is audited. Lodging still decides: it also
    checks that the consignor is registered at this port."""
    context = services.bus.context
    content, problems, _ = check_as_declarant(
        payload,
        context.catalog,
        actor=actor,
        authorisations=authorisations_reader(services.read_engine),
        today=beijing_date(context.clock.now()),
    )
    errors = [p.as_dict() for p in problems if p.severity == "error"]
    return {
        "valid": content is not None and not errors,
        "errors": errors,
        "warnings": [p.as_dict() for p in problems if p.severity != "error"],
    }


@router.post("/{declaration_id}/submit")
def submit(
    declaration_id: str,
    services: ServicesDep,
    actor: Declarant,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Declare to customs: numbered, assessed, and sent to its lane (green releases at once).
    The declarant is told the lane; how customs reached it (`assessment`) stays with customs."""
    scope = f"submit:{declaration_id}"
    retry = claim(actor, scope, idempotency_key, declaration_id, 200, declaration_view)
    outcome = services.bus.handle(SubmitDeclaration(actor, declaration_id), retry)
    return _answer(actor, outcome.replayed, outcome.result)


@router.post("/{declaration_id}/cancel")
def cancel(
    declaration_id: str,
    services: ServicesDep,
    actor: Declarant,
    reason: Annotated[str, Body(embed=True, min_length=1, max_length=500)],
) -> dict[str, Any]:
    outcome = services.bus.handle(CancelDeclaration(actor, declaration_id, reason))
    return as_seen_by(actor, declaration_view(outcome.result))


@router.get("/{declaration_id}")
def read_declaration(
    declaration_id: str, services: ServicesDep, actor: DeclarationReader
) -> dict[str, Any]:
    """An exporter asking for another enterprise's declaration gets 404, not 403; an exporter
    reads its own without customs' risk `assessment` (officials see it)."""
    found = load_declaration(services.read_engine, declaration_id)
    if found is None or not actor.may_see_declaration(
        found[0].enterprise_uscc, found[0].declaring_agent_uscc
    ):
        raise NotFound(f"declaration {declaration_id} not found", f"未找到报关单 {declaration_id}")
    return as_seen_by(actor, declaration_view(*found))


@router.get("")
def search_declarations(
    services: ServicesDep,
    actor: DeclarationReader,
    status: str | None = None,
    lane: str | None = None,
    exit_port: str | None = None,
    trade_mode: str | None = None,
    vehicle_plate: str | None = None,
    enterprise_uscc: str | None = None,
    created_from: Moment | None = None,
    created_to: Moment | None = None,
    sealed: Annotated[
        bool | None,
        Query(
            description="true: only declarations with an armed e-lock (an active trip); "
            "false: only those without one (with status=released: the trucks waiting for a seal)"
        ),
    ] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    """Declarants see only their own enterprise's declarations and those it lodged as
    customs broker for a client, whatever filter they send; only risk readers (customs,
    administrators, auditors) see `risk_score`. A misspelt `status`, `lane` or `exit_port` is
    refused (422)."""
    visible_to = None
    if actor.is_declarant:
        enterprise_uscc, visible_to = None, actor.enterprise_uscc or ""
    f = DeclarationFilter(
        enterprise_uscc,
        status_filter(status, (s.value for s in DeclarationStatus)),
        status_filter(lane, (v.value for v in SelectivityLane), field="lane", name_zh="通道"),
        exit_port_filter(exit_port, services.bus.context.calendars_in),
        trade_mode,
        vehicle_plate,
        created_from,
        created_to,
        sealed,
        visible_to,
    )
    total, rows = list_declarations(services.read_engine, f, page=page, page_size=page_size)
    return {
        "total": total,
        "page": page,
        "page_size": page_size,
        "items": [as_seen_by(actor, summary_view(r)) for r in rows],
    }
