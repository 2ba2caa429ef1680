"""The web's doors: every route refuses a stranger, and the session forms refuse other sites."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import Route

from landport.adapters import security
from landport.entrypoints.web.deps import CSRF_COOKIE, SESSION_COOKIE
from landport.entrypoints.web.ui.web import _script_json, secure_cookies
from landport.settings import AuthSettings, Settings, UiSettings
from world import PASSWORD, World

#: Open to anyone by design: the way in, the language switch, health, the API's own
#: description, and the libraries and scripts every page loads. The driver's page
#: (`/driver/{token}`, `/api/v1/driver/{token}`) is not listed: its link is the credential,
#: and the walk below sees it refuse a token that is not one (401).
PUBLIC = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/lang/{lang}"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/health"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/assets/vendor/{name:path}"),
}


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, through included routers at any depth."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, prefix + route.path


def test_every_route_but_the_public_ones_refuses_a_request_without_credentials(
    world: World,
) -> None:
    world.client.cookies.clear()
    walked = sorted(set(_routes(world.client.app.routes)))  # type: ignore[attr-defined]
    assert len(walked) > 80  # the walk reached the included routers
    let_in = []
    for method, path in walked:
        if (method, path) in PUBLIC:
            continue
        concrete = path.replace("{", "x").replace("}", "").replace(":path", "")
        response = world.client.request(method, concrete, follow_redirects=False)
        refused = response.status_code == 401 or (
            response.status_code == 303 and response.headers["location"].startswith("/login")
        )
        if not refused:
            let_in.append(f"{method} {path} -> {response.status_code}")
    assert let_in == []
    odd_token = "Bearer x.\u00e9".encode()  # as raw bytes on the wire, as a client may send
    odd = world.client.get("/api/v1/worklist", headers={"Authorization": odd_token})
    assert odd.status_code == 401  # a token with odd characters is a bad token, not a crash


def _login(world: World, **headers: str) -> Any:
    form = {"username": "officer", "password": PASSWORD, "next": ""}
    return world.client.post("/login", data=form, headers=headers, follow_redirects=False)


def test_a_login_form_posted_from_another_site_is_refused_and_sets_no_session(
    world: World,
) -> None:
    response = _login(world, origin="https://evil.example")
    assert response.status_code == 403
    body = response.json()
    assert "cross-site" in body["message_en"] and "跨站" in body["message_zh"]
    assert SESSION_COOKIE not in response.cookies
    response = _login(world, referer="https://evil.example/login")
    assert response.status_code == 403


def test_a_login_from_our_own_page_sets_strict_httponly_session_cookies(world: World) -> None:
    response = _login(world, origin="http://testserver")
    assert response.status_code == 303
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies[SESSION_COOKIE] and "samesite=strict" in cookies[SESSION_COOKIE]
    assert "httponly" not in cookies[CSRF_COOKIE]  # the page's script sends it back
    assert "samesite=strict" in cookies[CSRF_COOKIE]


def test_another_sites_form_cannot_log_a_person_out(world: World) -> None:
    assert _login(world, origin="http://testserver").status_code == 303
    response = world.client.post(
        "/logout", headers={"origin": "https://evil.example"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert not response.headers.get_list("set-cookie")
    response = world.client.post(
        "/logout", headers={"origin": "http://testserver"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert any(SESSION_COOKIE in c for c in response.headers.get_list("set-cookie"))


def test_json_given_to_a_page_script_cannot_open_a_tag_or_comment() -> None:
    rendered = _script_json({"name": "<!--<script>x</script>"})
    assert "<" not in rendered
    assert rendered.startswith('{"name": "\\u003c!--')


def test_the_live_event_counters_are_for_staff_not_declarants(world: World) -> None:
    refused = world.get("exporter", "/api/v1/events/stats")
    assert refused.status_code == 403
    assert "declarant" in refused.json()["message_en"]
    counted = world.get("auditor", "/api/v1/events/stats")
    assert counted.status_code == 200
    assert set(counted.json()) == {"published", "subscribers", "dropped"}


@pytest.mark.parametrize("username", ["officer", "nobody-by-this-name"])
def test_a_failed_login_costs_one_password_check_whether_or_not_the_account_exists(
    world: World, monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    checks: list[str] = []
    verify = security.verify_password

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counted)
    form = {"username": username, "password": "wrong"}
    assert world.client.post("/api/v1/auth/token", data=form).status_code == 401
    assert world.client.post("/login", data=form, follow_redirects=False).status_code == 401
    assert len(checks) == 2


def test_session_cookies_are_secure_in_production_unless_the_operator_says_otherwise() -> None:
    auth = AuthSettings(secret_key="a production key of enough length")  # type: ignore[arg-type]
    production = Settings(environment="production", auth=auth)
    assert secure_cookies(production)
    plain = Settings(environment="production", auth=auth, ui=UiSettings(secure_cookies=False))
    assert not secure_cookies(plain)
    assert not secure_cookies(Settings(environment="development"))
    assert secure_cookies(Settings(ui=UiSettings(secure_cookies=True)))


def test_a_logged_out_session_cookie_is_refused_even_when_replayed(world: World) -> None:
    client = world.client
    login = _login(world, origin="http://testserver")
    copied = {
        SESSION_COOKIE: login.cookies[SESSION_COOKIE],
        CSRF_COOKIE: login.cookies[CSRF_COOKIE],
    }

    def with_cookies(cookies: dict[str, str]) -> None:
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies.set(name, value)

    with_cookies(copied)
    assert client.get("/api/v1/worklist").status_code == 200
    logout = client.post("/logout", headers={"origin": "http://testserver"}, follow_redirects=False)
    assert logout.status_code == 303
    # A copy of the cookie taken before the logout opens nothing any more.
    with_cookies(copied)
    assert client.get("/api/v1/worklist").status_code == 401
    page = client.get("/console/customs", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # A second logout with the same cookie is harmless, and a fresh login works again.
    again = client.post("/logout", headers={"origin": "http://testserver"}, follow_redirects=False)
    assert again.status_code == 303
    fresh = _login(world, origin="http://testserver")
    with_cookies({SESSION_COOKIE: fresh.cookies[SESSION_COOKIE]})
    assert client.get("/api/v1/worklist").status_code == 200


@pytest.mark.parametrize("key", ["", "short", "x" * 31])
def test_production_refuses_a_signing_key_anyone_could_guess(key: str) -> None:
    """With an empty or short key, anyone can sign a token of any role."""
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings(environment="production", auth=AuthSettings(secret_key=key))  # type: ignore[arg-type]
    assert Settings(environment="development", auth=AuthSettings(secret_key=key))  # type: ignore[arg-type]
