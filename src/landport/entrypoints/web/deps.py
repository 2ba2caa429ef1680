"""Typed dependencies: the services, the current actor, and explicit role checks."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from landport.adapters.db.queries import find_user
from landport.adapters.db.sessions import session_withdrawn
from landport.adapters.security import (
    InvalidToken,
    PasswordChecksBusy,
    check_login,
    password_check_slot,
)
from landport.bootstrap import Services
from landport.enterprises.model import RISK_READERS, Actor, Role
from landport.entrypoints.web.login_throttle import (
    LoginRefused,
    LoginThrottle,
    client_address,
    login_throttle,
)
from landport.shared.errors import DomainError, Forbidden

#: The browser's session: the same signed token, in an httpOnly SameSite=Strict cookie.
SESSION_COOKIE = "landport_session"
#: Double-submit CSRF token: readable by the page's script, derived from the session token.
CSRF_COOKIE = "landport_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Unauthenticated(DomainError):
    code = "unauthenticated"


def csrf_token_for(services: Services, session_token: str) -> str:
    """Bound to the session and the server's key: a forged page cannot compute it."""
    key = services.settings.auth.secret_key.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class SignedIn:
    """A login that passed: who, and the token issued for them (under the account's session
    generation, so that a later deactivation or password reset withdraws it)."""

    actor: Actor
    token: str


def authenticate(request: Request, username: str, password: str) -> SignedIn | None:
    """The one password check behind the token endpoint and the login form: it costs the same
    whether or not the account exists.

    Throttled (`login_throttle`): after too many failures of this name or from this address,
    or when every password-check slot stays taken, raises `LoginRefused` without checking the
    password. A success clears the name's failures.
    """
    services: Services = request.app.state.services
    throttle = login_throttle(request)
    address = client_address(request)
    _refuse_if_throttled(throttle, username, address)
    try:
        with password_check_slot():
            # Again: logins that failed while this one waited for its turn count too.
            _refuse_if_throttled(throttle, username, address)
            user = find_user(services.read_engine, username) if username else None
            known = check_login(user.password_hash if user else None, password)
    except PasswordChecksBusy:
        raise LoginRefused.busy() from None
    if user is None or not user.active or not known:
        throttle.failed(username, address)
        return None
    throttle.succeeded(username)
    actor = Actor(user.username, user.role, user.enterprise_uscc, user.port_id)
    token = services.tokens.issue(actor, generation=user.session_generation)
    return SignedIn(actor, token)


def _refuse_if_throttled(throttle: LoginThrottle, username: str, address: str | None) -> None:
    wait = throttle.retry_after(username, address)
    if wait is not None:
        raise LoginRefused.throttled(wait)


def session_cookie(request: Request) -> str | None:
    """The browser's session token, unless it was withdrawn (`token_withdrawn`)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or token_withdrawn(request, token):
        return None
    return token


def token_withdrawn(request: Request, token: str) -> bool:
    """Whether a token, as a cookie or in the Authorization header, was withdrawn: its
    session ended by logging out, or its account deactivated or its password reset since.
    A forged or expired token is left to `current_actor` to refuse: only a token this server
    signed costs the (indexed) look-up."""
    services: Services = request.app.state.services
    try:
        actor, generation = services.tokens.verify_session(token)
    except InvalidToken:
        return False
    return session_withdrawn(services.read_engine, token, actor.username, generation)


class BearerOrSession(OAuth2PasswordBearer):
    """The Authorization header first (API clients); else the browser's session cookie.

    A token whose session was ended by logging out is no credential, however it is sent:
    the cookie path and the header path both refuse it (one indexed look-up per request).
    A write carried by the cookie must also send the X-CSRF-Token header, which another
    site's page cannot read or compute; SameSite=Strict is the second line.
    """

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        token = await super().__call__(request)
        if token:
            # As with the cookie: an ended session's token is no token at all (a request
            # that also carries an X-API-Key is still judged by the key alone). The look-up
            # runs on the thread pool: a database call must not hold up the event loop.
            return None if await run_in_threadpool(token_withdrawn, request, token) else token
        cookie = await run_in_threadpool(session_cookie, request)
        if cookie is None:
            return None  # a logged-out cookie is no session at all
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            expected = csrf_token_for(request.app.state.services, cookie)
            if not hmac.compare_digest(sent, expected):
                raise Forbidden(
                    f"a write with the session cookie needs the {CSRF_HEADER} header "
                    "of this session (cross-site request refused)",
                    f"使用会话 Cookie 的写操作须携带本会话的 {CSRF_HEADER} 请求头（拒绝跨站请求）",
                )
        return cookie


oauth2 = BearerOrSession(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def current_actor(services: ServicesDep, token: Annotated[str | None, Depends(oauth2)]) -> Actor:
    if not token:
        raise Unauthenticated("a bearer token is required", "需要登录（Bearer 令牌）")
    try:
        return services.tokens.verify(token)
    except InvalidToken as exc:
        raise Unauthenticated(f"invalid token: {exc}", "令牌无效或已过期") from None


def require(*roles: Role) -> Callable[[Actor], Actor]:
    """Every endpoint names the roles it admits; anyone else gets 403."""
    allowed = frozenset(roles)

    def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(
                f"role '{actor.role.value}' may not do this (allowed: {names})",
                f"角色「{actor.role.value}」无权执行此操作",
            )
        return actor

    return check


ANY_ROLE = tuple(Role)
#: Everyone but declarants: views of the whole port (every enterprise's trucks).
STAFF_ROLES = tuple(r for r in Role if r is not Role.DECLARANT)
Declarant = Annotated[Actor, Depends(require(Role.DECLARANT))]
Officer = Annotated[Actor, Depends(require(Role.CUSTOMS_OFFICER))]
Admin = Annotated[Actor, Depends(require(Role.PORT_ADMIN))]
Auditor = Annotated[Actor, Depends(require(Role.AUDITOR, Role.PORT_ADMIN))]
AnyUser = Annotated[Actor, Depends(require(*ANY_ROLE))]
Staff = Annotated[Actor, Depends(require(*STAFF_ROLES))]
DeclarationReader = Annotated[
    Actor,
    Depends(
        require(
            Role.DECLARANT,
            Role.CUSTOMS_OFFICER,
            Role.BORDER_OFFICER,
            Role.YARD_OPERATOR,
            Role.PORT_ADMIN,
            Role.AUDITOR,
        )
    ),
]
RiskReader = Annotated[Actor, Depends(require(*sorted(RISK_READERS)))]
