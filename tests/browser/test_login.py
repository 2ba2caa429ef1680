"""Each role logs in through the form and lands on its own page; a wrong password says so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from browser.conftest import (
    LOGINS,
    LiveServer,
    contrast_failures,
    login,
    login_as,
    screenshot,
    unlabelled_controls,
)
from goods import furniture_payload
from landport.demo.dataset import DEMO_PASSWORD, ENTERPRISES

pytestmark = pytest.mark.browser

LANDING = {
    "declarant": "/console/declarant",
    "customs_officer": "/console/customs",
    "yard_operator": "/console/yard",
    "border_officer": "/console/border",
    "port_admin": "/console/admin",
    "auditor": "/screen",
}


@pytest.mark.parametrize("role", sorted(LOGINS))
def test_each_role_logs_in_and_lands_on_its_own_page(page: Any, role: str) -> None:
    username = login_as(page, role)
    assert page.url.endswith(LANDING[role])
    assert username in page.get_by_test_id("who").inner_text()
    screenshot(page, f"landing-{role}")


def test_a_wrong_password_is_refused_in_chinese_and_then_in_english(page: Any) -> None:
    page.goto("/login")
    page.locator("#username").fill("officer")
    page.locator("#password").fill("not the password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_test_id("login-error").inner_text() == "用户名或密码错误。"
    assert page.locator("#username").get_attribute("aria-invalid") == "true"
    screenshot(page, "login-wrong-password-zh")

    with page.expect_navigation():
        page.get_by_test_id("lang-switch").click()
    page.locator("#username").fill("officer")
    page.locator("#password").fill("still not it")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_test_id("login-error").inner_text() == "Wrong username or password."
    screenshot(page, "login-wrong-password-en")


def test_a_page_asks_for_login_and_returns_to_it_afterwards(page: Any) -> None:
    page.goto("/screen")
    assert "/login" in page.url
    page.locator("#username").fill(LOGINS["customs_officer"])
    page.locator("#password").fill("landport-demo")
    page.locator("#password").press("Enter")
    page.wait_for_url("**/screen")


def test_a_declarant_cannot_open_the_big_screen_or_another_console(page: Any) -> None:
    login_as(page, "declarant")
    response = page.goto("/screen")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "无权访问"
    response = page.goto("/console/customs")
    assert response is not None and response.status == 403


def test_logout_ends_the_session(page: Any) -> None:
    login_as(page, "port_admin")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login")
    page.goto("/console/admin")
    assert "/login" in page.url


def test_the_skip_link_is_the_first_stop_of_the_keyboard(page: Any) -> None:
    login_as(page, "customs_officer")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


# -- the session cookie, as the API sees it (no browser needed) ------------------------------


def _session(server: LiveServer, username: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base_url)
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 303
    cookie = response.headers.get_list("set-cookie")
    session = next(c for c in cookie if c.startswith("landport_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    return client


def test_the_session_cookie_carries_the_person_and_writes_need_the_csrf_header(
    live_server: LiveServer,
) -> None:
    exporter = ENTERPRISES[0]
    client = _session(live_server, exporter.declarant)
    assert client.get("/api/v1/me").json()["enterprise_uscc"] == exporter.uscc
    payload = furniture_payload(consignor_uscc=exporter.uscc)
    before = client.get("/api/v1/declarations").json()["total"]

    refused = client.post("/api/v1/declarations", json=payload)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["message_en"]
    assert "X-CSRF-Token" in refused.json()["message_zh"]
    forged = client.post("/api/v1/declarations", json=payload, headers={"X-CSRF-Token": "0" * 32})
    assert forged.status_code == 403
    assert client.get("/api/v1/declarations").json()["total"] == before  # nothing changed

    token = client.cookies["landport_csrf"]
    accepted = client.post("/api/v1/declarations", json=payload, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 201, accepted.text
    assert client.get("/api/v1/declarations").json()["total"] == before + 1


def test_with_the_cookie_roles_and_the_own_enterprise_rule_still_hold(
    live_server: LiveServer,
) -> None:
    mine, other = ENTERPRISES[0], ENTERPRISES[1]
    theirs = httpx.post(
        live_server.url("/api/v1/declarations"),
        json=furniture_payload(consignor_uscc=other.uscc),
        headers=live_server.headers(other.declarant),
    ).json()
    client = _session(live_server, mine.declarant)
    assert client.get(f"/api/v1/declarations/{theirs['id']}").status_code == 404
    listed = client.get("/api/v1/declarations", params={"page_size": 200}).json()["items"]
    assert {d["enterprise_uscc"] for d in listed} == {mine.uscc}
    assert client.get("/api/v1/worklist").status_code == 403
    assert client.get("/api/v1/screen/summary").status_code == 403


def test_a_login_link_cannot_send_a_person_to_another_site(live_server: LiveServer) -> None:
    response = httpx.post(
        live_server.url("/login"),
        data={"username": "officer", "password": DEMO_PASSWORD, "next": "//evil.example/x"},
    )
    assert response.headers["location"] == "/console/customs"


def test_logging_out_clears_the_session(live_server: LiveServer) -> None:
    client = _session(live_server, "officer")
    client.post("/logout")
    assert "landport_session" not in client.cookies
    assert client.get("/api/v1/me").status_code == 401


def test_the_login_page_has_labels_and_enough_contrast(page: Any) -> None:
    page.goto("/login")
    assert unlabelled_controls(page) == []
    assert contrast_failures(page) == []


def test_a_screen_left_open_by_a_deactivated_person_goes_back_to_the_login_page(
    page: Any, live_server: LiveServer
) -> None:
    """The big screen's live stream learns within seconds that its session was withdrawn;
    the page then asks for a login instead of retrying a refused stream in the dark."""
    admin = _session(live_server, LOGINS["port_admin"])
    person = {"username": "screen-watch", "password": "watching-1234", "role": "auditor"}
    csrf = {"X-CSRF-Token": admin.cookies["landport_csrf"]}
    created = admin.post("/api/v1/users", json=person, headers=csrf)
    assert created.status_code == 201, created.text
    login(page, person["username"], person["password"])
    page.wait_for_url("**/screen")
    page.wait_for_selector("#live-status[data-state=live]")
    done = admin.post(
        "/api/v1/users/screen-watch/deactivate", json={"reason": "left the port"}, headers=csrf
    )
    assert done.status_code == 200, done.text
    page.wait_for_url("**/login**", timeout=20_000)
