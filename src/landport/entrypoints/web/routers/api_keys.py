"""API keys of machine clients: the administrator issues and revokes; devices test theirs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from landport.adapters.db.api_keys import list_api_keys, new_api_key
from landport.enterprises.api_keys import ApiKey, IssueApiKey, RevokeApiKey
from landport.entrypoints.web.deps import Admin, ServicesDep
from landport.entrypoints.web.machine_auth import Machine, forget_api_keys

router = APIRouter(prefix="/api/v1", tags=["machine clients"])


class ApiKeyBody(BaseModel):
    # A misspelt field ("gate" for resource_id) would issue a key bound to nothing.
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64)
    role: str
    resource_id: str | None = Field(default=None, max_length=40)


class RevokeBody(BaseModel):
    reason: str = Field(max_length=500)


@router.post("/api-keys", status_code=201)
def issue_api_key(
    body: ApiKeyBody, services: ServicesDep, actor: Admin, response: Response
) -> dict[str, Any]:
    """The clear key is in this response only: it is stored as a hash and cannot be shown again."""
    key, key_hash = new_api_key()
    issued: ApiKey = services.bus.handle(
        IssueApiKey(actor, body.name, body.role, body.resource_id, key_hash)
    ).result
    response.headers["Cache-Control"] = "no-store"
    return {
        **issued.as_dict(),
        "key": key,
        "note_en": "store this key now: it is shown only once",
        "note_zh": "请立即保存此密钥：它只显示这一次",
    }


@router.get("/api-keys")
def api_keys(services: ServicesDep, actor: Admin) -> dict[str, Any]:
    return {"items": [k.as_dict() for k in list_api_keys(services.read_engine)]}


@router.post("/api-keys/{name}/revoke")
def revoke_api_key(
    name: str, body: RevokeBody, services: ServicesDep, actor: Admin, request: Request
) -> dict[str, Any]:
    revoked: ApiKey = services.bus.handle(RevokeApiKey(actor, name, body.reason)).result
    forget_api_keys(request)
    return revoked.as_dict()


@router.get("/machine/whoami")
def whoami(machine: Machine) -> dict[str, Any]:
    """For a device to test its key: who the platform thinks it is."""
    return {
        "actor": machine.actor.username,
        "key_id": machine.key_id,
        "name": machine.name,
        "role": machine.role.value,
        "resource_id": machine.resource_id,
    }
