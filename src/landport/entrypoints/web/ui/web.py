"""What every HTML page needs: the person behind the session cookie, role checks, rendering.

Pages are rendered on the server in the visitor's language (cookie `landport_lang`, zh-CN
by default); their scripts then call the same JSON API as every other client, carried
by the same session cookie, with the CSRF header on writes (`static/app.js`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from landport.adapters.security import InvalidToken
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.deps import SESSION_COOKIE, csrf_token_for, session_cookie
from landport.entrypoints.web.ui.translations import Translator, catalogs, language_of
from landport.settings import Settings
from landport.shared.clock import clock_rate
from landport.shared.errors import Forbidden

LANG_COOKIE = "landport_lang"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

#: Where each role starts after logging in.
LANDING: dict[Role, str] = {
    Role.DECLARANT: "/console/declarant",
    Role.CUSTOMS_OFFICER: "/console/customs",
    Role.YARD_OPERATOR: "/console/yard",
    Role.BORDER_OFFICER: "/console/border",
    Role.PORT_ADMIN: "/console/admin",
    Role.AUDITOR: "/screen",
}


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the login form."""


class PageForbidden(Exception):
    """Logged in, but this page is not for the person's role."""

    def __init__(self, actor: Actor, roles: frozenset[Role]) -> None:
        super().__init__(actor.role.value)
        self.actor = actor
        self.roles = roles


def session_actor(request: Request) -> Actor | None:
    token = session_cookie(request)
    if token is None:
        return None
    try:
        return request.app.state.services.tokens.verify(token)  # type: ignore[no-any-return]
    except InvalidToken:
        return None


def page_actor(request: Request) -> Actor:
    actor = session_actor(request)
    if actor is None:
        raise LoginRequired()
    return actor


def page_require(*roles: Role) -> Callable[[Actor], Actor]:
    """A page names the roles it admits, like every endpoint; others see a 403 page."""
    allowed = frozenset(roles)

    def check(actor: Annotated[Actor, Depends(page_actor)]) -> Actor:
        if actor.role not in allowed:
            raise PageForbidden(actor, allowed)
        return actor

    return check


PageUser = Annotated[Actor, Depends(page_actor)]


def language(request: Request) -> str:
    return language_of(request.cookies.get(LANG_COOKIE))


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no `<` can open a tag or a comment there."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


@functools.lru_cache(maxsize=4)
def _catalog_json(lang: str) -> str:
    """A language's catalog for the page script: the same on every page, encoded once."""
    return _script_json(catalogs()[lang])


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    actor: Actor | None = None,
) -> HTMLResponse:
    """Render `template` with the language, translator, person and CSRF token in context."""
    lang = language(request)
    actor = actor or session_actor(request)
    token = request.cookies.get(SESSION_COOKIE)
    services = request.app.state.services
    page: dict[str, Any] = {
        "lang": lang,
        "other_lang": "en" if lang == "zh-CN" else "zh-CN",
        "t": Translator(lang),
        "actor": actor,
        "home": LANDING.get(actor.role, "/") if actor else "/login",
        "csrf_token": csrf_token_for(services, token) if token and actor else "",
        "i18n_json": _catalog_json(lang),
        # the platform's time and pace: a page's default times are the port's, not the
        # browser's (the demo's clock runs ahead of the wall)
        "platform_now": services.clock.now().isoformat(),
        "clock_rate": clock_rate(services.clock),
        "ui": services.settings.ui,
        "path": request.url.path,
        "next_here": quote(
            str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        ),
    }
    page.update(context or {})
    response: HTMLResponse = TEMPLATES.TemplateResponse(
        request, template, page, status_code=status_code
    )
    return response


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None, default: str) -> str:
    """Only our own paths: a login link must not send a person to another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def same_origin_form(request: Request) -> None:
    """A form that sets or clears the session must come from one of our own pages.

    The session cookie is not sent yet (login) or its CSRF header cannot be (a plain form),
    so the browser's Origin (else Referer) header must name this host; a client that sends
    neither is not a browser driven by another site's page.
    """
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return
    host = request.headers.get("host", "")
    if sent == "null" or urlsplit(sent).netloc.lower() != host.lower():
        raise Forbidden(
            "a login or logout form must be sent from this site's own pages "
            "(cross-site request refused)",
            "登录或退出表单须从本站页面提交（拒绝跨站请求）",
        )


def secure_cookies(settings: Settings) -> bool:
    """Session cookies are Secure in production unless the operator says otherwise."""
    chosen = settings.ui.secure_cookies
    return settings.environment == "production" if chosen is None else chosen
