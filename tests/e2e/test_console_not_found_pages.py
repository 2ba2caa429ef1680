"""Unknown URLs: a browser gets the translated 404 page, the API and scripts keep JSON; the
app's icon is served (pages log no 404) and the login error is wired to its field."""

from __future__ import annotations

import pytest

from world import World

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["/foo", "/console", "/assets/app/nope.js"])
def test_a_browser_asking_for_an_unknown_page_gets_the_translated_404_page(
    world: World, path: str
) -> None:
    zh = world.client.get(path, headers=HTML)
    assert zh.status_code == 404 and zh.headers["content-type"].startswith("text/html")
    assert "Not Found" not in zh.text and "页面不存在" in zh.text
    world.client.cookies.set("landport_lang", "en")
    try:
        en = world.client.get(path, headers=HTML)
    finally:
        world.client.cookies.clear()
    assert en.status_code == 404 and "Page not found" in en.text


@pytest.mark.parametrize("path", ["/api/v1/nope", "/foo", "/assets/app/nope.js"])
def test_the_api_and_non_html_clients_keep_the_json_404(world: World, path: str) -> None:
    headers = HTML if path.startswith("/api/") else {"Accept": "application/json"}
    answer = world.client.get(path, headers=headers)
    assert answer.status_code == 404
    assert answer.json() == {
        "code": "not_found",
        "message_en": "the address does not exist",
        "message_zh": "该地址不存在",
        "detail": "Not Found",
    }


def test_the_pages_link_the_apps_own_icon_and_it_is_served(world: World) -> None:
    login = world.client.get("/login", headers=HTML)
    assert 'rel="icon" href="/assets/app/favicon.svg"' in login.text
    icon = world.client.get("/assets/app/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_the_login_error_is_the_element_its_field_points_to(world: World) -> None:
    page = world.client.post(
        "/login", data={"username": "exporter", "password": "wrong"}, headers=HTML
    )
    assert 'aria-describedby="login-error"' in page.text and 'id="login-error"' in page.text
