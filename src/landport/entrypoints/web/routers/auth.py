"""Log in with the OAuth2 password form; get a bearer token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from landport.entrypoints.web.deps import AnyUser, ServicesDep, Unauthenticated, authenticate

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token")
def issue_token(
    services: ServicesDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> dict[str, Any]:
    """Public by design: this is how a person proves who they are."""
    actor = authenticate(services, form.username, form.password)
    if actor is None:
        raise Unauthenticated("wrong username or password", "用户名或密码错误")
    return {
        "access_token": services.tokens.issue(actor),
        "token_type": "bearer",
        "expires_in": services.tokens.ttl_seconds,
        "role": actor.role.value,
        "enterprise_uscc": actor.enterprise_uscc,
        "port_id": actor.port_id,
    }


@router.get("/me")
def who_am_i(actor: AnyUser) -> dict[str, Any]:
    return {
        "username": actor.username,
        "role": actor.role.value,
        "enterprise_uscc": actor.enterprise_uscc,
        "port_id": actor.port_id,
    }


@router.get("/ping")
def ping(actor: AnyUser) -> dict[str, str]:
    """The cheapest authenticated call: the framework's ceiling in the benchmarks."""
    return {"pong": actor.username}
