"""Telemetry health: what was rejected from the e-locks, and why."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from landport.adapters.db.telemetry_queries import rejected_telemetry
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.deps import ServicesDep, require

router = APIRouter(prefix="/api/v1/telemetry", tags=["custody"])
Watcher = Annotated[Actor, Depends(require(Role.CUSTOMS_OFFICER, Role.PORT_ADMIN, Role.AUDITOR))]


@router.get("/rejects")
def rejects(
    services: ServicesDep,
    actor: Watcher,
    seal_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Forged, replayed-with-changes, unknown or malformed messages: counted, never applied."""
    return rejected_telemetry(services.read_engine, seal_id=seal_id, limit=limit)
