"""Login, logout, language switch, each role's landing page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from landport.adapters.db.sessions import end_session
from landport.entrypoints.web.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    authenticate,
    csrf_token_for,
)
from landport.entrypoints.web.login_throttle import LoginRefused
from landport.entrypoints.web.ui.translations import language_of
from landport.entrypoints.web.ui.web import (
    LANDING,
    LANG_COOKIE,
    PageUser,
    redirect,
    render,
    safe_next,
    same_origin_form,
    secure_cookies,
    session_actor,
)

router = APIRouter(include_in_schema=False)

#: Areas of `/console/{area}` and the role each belongs to.
CONSOLE_ROLE = {
    path.rsplit("/", 1)[1]: role for role, path in LANDING.items() if "/console/" in path
}


@router.get("/")
def landing(request: Request) -> Response:
    """Public: sends a visitor to the login form, a person to their own console."""
    actor = session_actor(request)
    return redirect(LANDING[actor.role] if actor else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    """Public by design: the way in."""
    return render(request, "login.html", {"next": safe_next(next, "")})


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(same_origin_form)])
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Checks the password as the token endpoint does; the token goes in an httpOnly cookie."""
    services = request.app.state.services
    try:
        signed_in = authenticate(request, username.strip(), password)
    except LoginRefused as refused:  # too many failures, or too many logins at once
        context = {
            "next": safe_next(next, ""),
            "username": username,
            "error": refused.page_key,
            "error_values": {"minutes": refused.minutes},
        }
        page = render(request, "login.html", context, status_code=refused.status, actor=None)
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    if signed_in is None:
        context = {"next": safe_next(next, ""), "username": username, "error": "login.failed"}
        return render(request, "login.html", context, status_code=401, actor=None)
    actor, token = signed_in.actor, signed_in.token
    response = redirect(safe_next(next, LANDING[actor.role]))
    secure = secure_cookies(services.settings)
    max_age = services.tokens.ttl_seconds
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token_for(services, token),
        max_age=max_age,
        httponly=False,
        samesite="strict",
        secure=secure,
    )
    return response


@router.post("/logout", dependencies=[Depends(same_origin_form)])
def logout(request: Request) -> Response:
    """Ends the session on the server and clears its cookies; only from our own pages
    (another site's form is refused)."""
    token = request.cookies.get(SESSION_COOKIE)
    actor = session_actor(request) if token else None
    if token and actor is not None:
        services = request.app.state.services
        now = services.clock.now()
        expires = now + timedelta(seconds=services.tokens.ttl_seconds)
        end_session(services.engine, token, username=actor.username, now=now, expires_at=expires)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str | None = None) -> Response:
    """Public: the language is a preference, not a privilege; remembered for a year."""
    chosen = language_of(lang)
    response = redirect(safe_next(next, "/"))
    response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/console/{area}", response_class=HTMLResponse)
def console_home(request: Request, area: str, actor: PageUser) -> Response:
    """A role's workspace until its console page takes the route (consoles are included first)."""
    role = CONSOLE_ROLE.get(area)
    if role is None:
        return render(request, "error.html", {"status": 404}, status_code=404, actor=actor)
    if actor.role is not role:
        return render(request, "error.html", {"status": 403}, status_code=403, actor=actor)
    return render(request, "workspace.html", {"area": area, "role": role.value}, actor=actor)
