"""People's accounts after they are created (port administrators only): deactivate,
reactivate, reset a password. Each ends the tokens it must from the next request on and is
audited with its reason (`enterprises/accounts.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from landport.adapters.security import hash_password
from landport.enterprises.accounts import (
    REASON_MAX,
    DeactivateUser,
    ReactivateUser,
    ResetPassword,
)
from landport.enterprises.model import User
from landport.entrypoints.web.deps import Admin, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["admin"])


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class PasswordBody(ReasonBody):
    password: str = Field(min_length=8, max_length=200)


@router.post("/users/{username}/deactivate")
def deactivate_user(
    username: str, body: ReasonBody, services: ServicesDep, actor: Admin
) -> dict[str, Any]:
    """The person can no longer log in, and every token they hold is refused at once."""
    return _account(services.bus.handle(DeactivateUser(actor, username, body.reason)).result)


@router.post("/users/{username}/reactivate")
def reactivate_user(
    username: str, body: ReasonBody, services: ServicesDep, actor: Admin
) -> dict[str, Any]:
    """The person may log in again; tokens from before the deactivation stay refused."""
    return _account(services.bus.handle(ReactivateUser(actor, username, body.reason)).result)


@router.post("/users/{username}/password")
def reset_password(
    username: str, body: PasswordBody, services: ServicesDep, actor: Admin
) -> dict[str, Any]:
    """A new password (stored as an Argon2 hash); every token issued before it is refused."""
    cmd = ResetPassword(actor, username, hash_password(body.password), body.reason)
    return _account(services.bus.handle(cmd).result)


def _account(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role.value,
        "enterprise_uscc": user.enterprise_uscc,
        "port_id": user.port_id,
        "active": user.active,
    }
