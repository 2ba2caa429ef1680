"""Log in with the OAuth2 password form; get a bearer token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from landport.adapters.db.queries import find_user
from landport.adapters.security import check_login
from landport.enterprises.model import Actor
from landport.entrypoints.web.deps import AnyUser, ServicesDep, Unauthenticated

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token")
def issue_token(
    services: ServicesDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> dict[str, Any]:
    """Public by design: this is how a person proves who they are."""
    user = find_user(services.read_engine, form.username)
    known = check_login(user.password_hash if user else None, form.password)
    if user is None or not user.active or not known:
        raise Unauthenticated("wrong username or password", "用户名或密码错误")
    actor = Actor(user.username, user.role, user.enterprise_uscc, user.port_id)
    return {
        "access_token": services.tokens.issue(actor),
        "token_type": "bearer",
        "expires_in": services.tokens.ttl_seconds,
        "role": user.role.value,
        "enterprise_uscc": user.enterprise_uscc,
        "port_id": user.port_id,
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
