"""Typed dependencies: the services, the current actor, and explicit role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from landport.adapters.security import InvalidToken
from landport.bootstrap import Services
from landport.enterprises.model import Actor, Role
from landport.shared.errors import DomainError, Forbidden

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class Unauthenticated(DomainError):
    code = "unauthenticated"


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
Declarant = Annotated[Actor, Depends(require(Role.DECLARANT))]
Officer = Annotated[Actor, Depends(require(Role.CUSTOMS_OFFICER))]
Admin = Annotated[Actor, Depends(require(Role.PORT_ADMIN))]
Auditor = Annotated[Actor, Depends(require(Role.AUDITOR, Role.PORT_ADMIN))]
AnyUser = Annotated[Actor, Depends(require(*ANY_ROLE))]
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
RiskReader = Annotated[Actor, Depends(require(Role.CUSTOMS_OFFICER, Role.PORT_ADMIN, Role.AUDITOR))]
