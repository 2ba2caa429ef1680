"""Log in with the OAuth2 password form; get a bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import OAuth2PasswordRequestForm

from landport.adapters.db.sessions import end_session
from landport.entrypoints.web.deps import AnyUser, ServicesDep, Unauthenticated, authenticate
from landport.entrypoints.web.login_throttle import LoginRefused
from landport.shared.errors import InvalidInput, Violation

router = APIRouter(prefix="/api/v1", tags=["auth"])

_REFUSED = {"description": "Refused before the password check; see the Retry-After header"}


@router.post(
    "/auth/token",
    response_model=dict[str, Any],
    responses={429: _REFUSED, 503: _REFUSED},
)
def issue_token(
    request: Request,
    services: ServicesDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> dict[str, Any] | Response:
    """Public by design: this is how a person proves who they are. Throttled: after 5 failed
    logins of a name in 15 minutes (or more from one address) the answer is 429 with
    Retry-After, and the password is not checked."""
    try:
        signed_in = authenticate(request, form.username, form.password)
    except LoginRefused as refused:
        return refused.as_response()
    if signed_in is None:
        raise Unauthenticated("wrong username or password", "用户名或密码错误")
    actor = signed_in.actor
    return {
        "access_token": signed_in.token,
        "token_type": "bearer",
        "expires_in": services.tokens.ttl_seconds,
        "role": actor.role.value,
        "enterprise_uscc": actor.enterprise_uscc,
        "port_id": actor.port_id,
    }


@router.post("/auth/logout", status_code=204)
def end_token(request: Request, services: ServicesDep, actor: AnyUser) -> Response:
    """An API client ends its bearer token before it expires (a shared terminal, a leaked
    token): refused from then on, as a browser's session is after logging out."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise InvalidInput(
            [
                Violation(
                    "Authorization",
                    "bearer_token_required",
                    "only a bearer token can be ended here",
                    "此处只能注销持有者令牌",
                )
            ]
        )
    now = services.clock.now()
    expires = now + timedelta(seconds=services.tokens.ttl_seconds)
    end_session(services.engine, token, username=actor.username, now=now, expires_at=expires)
    return Response(status_code=204)


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
