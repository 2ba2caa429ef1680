"""The API's own docs page works at a border post with no internet: nothing off the origin."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_api_docs_render_from_the_port_s_own_origin(page: Any, live_server: LiveServer) -> None:
    own = urlsplit(live_server.base_url).netloc
    elsewhere: list[str] = []

    def only_our_origin(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:  # as at 4,700 m without a link: the page must not need it
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_origin)
    page.goto("/docs")
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert title.inner_text().startswith("Landport")
    page.locator(".opblock-tag", has_text="declarations").first.wait_for()
    assert page.locator("button.authorize").count() == 1  # log in from the page
    assert elsewhere == []
    assert page.request.get("/redoc").status == 404  # no second page that needs a CDN
