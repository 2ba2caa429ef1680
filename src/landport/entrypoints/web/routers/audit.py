"""The tamper-evident audit log: read it, verify it, and take or check signed checkpoints
that auditors keep outside the database."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from landport.adapters.audit_checkpoints import check_checkpoints, take_checkpoint
from landport.adapters.db.audit import verify_audit
from landport.adapters.db.queries import audit_entries
from landport.adapters.signing_keys import public_keys, signing_key
from landport.audit.checkpoint import CheckpointError, witnesses_of
from landport.entrypoints.web.deps import Auditor, ServicesDep
from landport.entrypoints.web.views import MAX_BIGINT
from landport.shared.errors import Conflict, InvalidInput, Violation

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit/verify")
def audit_verify(services: ServicesDep, actor: Auditor) -> dict[str, Any]:
    return verify_audit(services.read_engine).as_dict()


class CheckpointsBody(BaseModel):
    """Checkpoints kept outside the database, as `POST /audit/checkpoints` gave them."""

    checkpoints: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)


@router.post("/audit/checkpoints", status_code=201)
def audit_checkpoint(services: ServicesDep, actor: Auditor) -> dict[str, Any]:
    """The chain head now, signed with the port's key, once the chain verifies (409 if not):
    keep it somewhere the database's administrators cannot write, and send it back to
    `/audit/verify` later."""
    key = signing_key(environment=services.settings.environment)
    try:
        return take_checkpoint(services.read_engine, key, services.clock.now()).as_dict()
    except CheckpointError as e:
        raise Conflict(str(e), "审计日志校验失败，不签发检查点") from None


@router.post("/audit/verify")
def audit_verify_against(
    body: CheckpointsBody, services: ServicesDep, actor: Auditor
) -> dict[str, Any]:
    """Verify the chain and pin every entry a checkpoint saw to the hash it saw; a checkpoint
    not signed by the port is listed in `checkpoint_problems` and fails the check."""
    keys = public_keys(environment=services.settings.environment)
    found = check_checkpoints(
        ((f"checkpoints[{i}]", c) for i, c in enumerate(body.checkpoints)), keys
    )
    try:
        witnesses = witnesses_of(found.checkpoints)
    except CheckpointError as e:
        raise InvalidInput(
            [Violation("checkpoints", "checkpoints_disagree", str(e), "检查点之间相互矛盾")]
        ) from None
    return verify_audit(services.read_engine, witnesses).as_dict(list(found.problems))


@router.get("/audit")
def audit_log(
    services: ServicesDep,
    actor: Auditor,
    entity_id: str | None = None,
    after_seq: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    rows = audit_entries(
        services.read_engine, entity_id=entity_id, after_seq=after_seq, limit=limit
    )
    return {"items": rows}
