"""The big screen in a real browser: figures, map and charts, live updates, one truck, languages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from browser.conftest import LiveServer, contrast_failures, login_as, screenshot
from goods import furniture_payload
from landport.demo.dataset import ENTERPRISES

pytestmark = pytest.mark.browser


def open_screen(page: Any) -> None:
    login_as(page, "auditor")
    page.wait_for_url("**/screen")
    page.wait_for_selector("body[data-loaded=true]")
    page.wait_for_selector("#live-status[data-state=live]")


def kpi(page: Any, name: str) -> str:
    text: str = page.get_by_test_id(f"kpi-{name}").inner_text()
    return text


def tamper_where_it_stands(live_server: LiveServer, n: int) -> dict[str, Any]:
    """Demo e-lock EL-000n reports a tamper at its truck's last position; returns the trip
    as the screen lists it."""
    trips = httpx.get(
        live_server.url("/api/v1/screen/trips"), headers=live_server.headers("auditor")
    ).json()["items"]
    seal = f"EL-{n:04d}"
    trip: dict[str, Any] = next(t for t in trips if t["seal_id"] == seal)
    secret = f"demo-device-secret-{n:04d}"
    live_server.publish_fix(
        seal, secret, seq=900_000 + n, lat=trip["lat"], lon=trip["lon"], tamper=True
    )
    return trip


def test_the_screen_shows_the_port_figures_map_and_charts(
    page: Any, live_server: LiveServer
) -> None:
    open_screen(page)
    summary = httpx.get(
        live_server.url("/api/v1/screen/summary"), headers=live_server.headers("auditor")
    ).json()
    assert kpi(page, "declared") == str(summary["trucks"]["declared"])
    for name in ("expected", "in_yard", "in_transit"):
        assert kpi(page, name) == str(summary["trucks"][name]), name
    assert page.locator("#kpi-capacity").inner_text() == "300"
    # the map: country borders, three corridors, one marker per sealed truck with a position
    page.wait_for_function("document.querySelectorAll('#map path.leaflet-interactive').length >= 3")
    trips = page.get_by_test_id("truck-list").locator("button")
    assert trips.count() == 8
    assert page.locator("#chart-throughput canvas").count() == 1
    assert page.get_by_test_id("alert-list").locator("li").count() >= 1  # the demo's troubles
    assert page.locator("h1").inner_text() == "日喀则国际陆地港 · 海关监控大屏"
    screenshot(page, "screen-zh")


def test_a_lodged_declaration_appears_without_reload(page: Any, live_server: LiveServer) -> None:
    open_screen(page)
    before, expected = int(kpi(page, "declared")), int(kpi(page, "expected"))
    page.evaluate("window.__same_page = true")
    declarant = ENTERPRISES[0]
    response = httpx.post(
        live_server.url("/api/v1/declarations?submit=true"),
        json=furniture_payload(consignor_uscc=declarant.uscc),
        headers=live_server.headers(declarant.declarant),
    )
    assert response.status_code == 201, response.text
    page.wait_for_function(
        f"Number(document.getElementById('kpi-declared').textContent) === {before + 1}",
        timeout=5_000,
    )
    assert int(kpi(page, "expected")) == expected + 1  # declared, its truck not yet in
    assert page.evaluate("window.__same_page") is True  # no reload happened


def test_a_tamper_alert_from_an_e_lock_flashes_on_the_screen(
    page: Any, live_server: LiveServer
) -> None:
    open_screen(page)
    trip = tamper_where_it_stands(live_server, 1)
    flashing = page.locator(f'.alert-item.flash[data-alert-id^="{trip["trip_id"]}:tamper:"]')
    flashing.wait_for(timeout=5_000)
    assert "关锁被破坏" in flashing.inner_text()
    page.wait_for_selector(".alert-pulse.severity-alarm")
    screenshot(page, "screen-alert")


def test_an_alert_an_officer_resolves_leaves_the_screen_without_reload(
    page: Any, live_server: LiveServer
) -> None:
    open_screen(page)
    trip = tamper_where_it_stands(live_server, 2)
    item = page.locator(f'.alert-item[data-alert-id^="{trip["trip_id"]}:tamper:"]')
    item.wait_for(timeout=5_000)
    summary = httpx.get(
        live_server.url("/api/v1/screen/summary"), headers=live_server.headers("auditor")
    ).json()
    open_before = summary["alerts"]["open"]
    kpi_is = "Number(document.getElementById('kpi-alerts').textContent) === {}"
    page.wait_for_function(kpi_is.format(open_before), timeout=5_000)
    officer = live_server.headers("officer")
    [alert] = httpx.get(
        live_server.url(f"/api/v1/alerts?trip_id={trip['trip_id']}&kind=tamper"), headers=officer
    ).json()["items"]

    def handle(action: str) -> None:
        url = live_server.url(f"/api/v1/alerts/{alert['id']}/{action}")
        response = httpx.post(url, json={"reason": "driver called: seal checked"}, headers=officer)
        assert response.status_code == 200, response.text

    [listed] = [
        a
        for a in httpx.get(
            live_server.url("/api/v1/screen/alerts"), headers=live_server.headers("auditor")
        ).json()["items"]
        if a["id"].startswith(f"{trip['trip_id']}:tamper:")
    ]

    def monitor_update(message_zh: str) -> None:
        """What the monitor sends when an open alert's details change: no officer state."""
        update = {k: v for k, v in listed.items() if k != "state"}
        live_server.app.state.live_events.publish(
            "alert.updated", {**update, "action": "updated", "message_zh": message_zh}
        )

    handle("acknowledge")  # being handled: still unresolved, still listed, and marked so
    item.locator(".alert-handled", has_text="处置中").wait_for(timeout=5_000)
    monitor_update("关锁被破坏（位置已更新）")
    item.locator(".alert-text", has_text="位置已更新").wait_for(timeout=5_000)
    assert item.locator(".alert-handled").inner_text() == "处置中"  # kept through the update
    assert contrast_failures(page, "#alert-list") == []
    screenshot(page, "screen-alert-handled")
    page.reload()
    page.wait_for_selector("body[data-loaded=true]")
    page.wait_for_selector("#live-status[data-state=live]")
    page.wait_for_function(kpi_is.format(open_before), timeout=5_000)  # still unresolved
    assert item.locator(".alert-handled").inner_text() == "处置中"  # the list says so too
    page.evaluate("window.__same_page = true")
    handle("resolve")
    item.wait_for(state="detached", timeout=5_000)
    page.wait_for_function(kpi_is.format(open_before - 1), timeout=5_000)
    monitor_update("关锁被破坏（再次更新）")  # a finding ends it on the screen for good
    page.wait_for_timeout(1_000)
    assert item.count() == 0
    assert page.evaluate("window.__same_page") is True  # no reload happened


def test_one_click_on_a_truck_shows_its_goods_passport_and_trip(page: Any) -> None:
    open_screen(page)
    page.get_by_test_id("truck-list").locator("button").first.click()
    panel = page.get_by_test_id("truck-panel")
    panel.locator("h3").nth(3).wait_for()
    headings = panel.locator("h3").all_inner_texts()
    assert headings == ["报关单", "货物", "查验护照", "关锁运输"]
    assert "EL-0001" in panel.inner_text()
    screenshot(page, "screen-truck")
    page.keyboard.press("Escape")
    assert panel.is_hidden()


def test_the_screen_switches_to_english(page: Any) -> None:
    open_screen(page)
    with page.expect_navigation():
        page.get_by_test_id("lang-switch").click()
    page.wait_for_selector("body[data-loaded=true]")
    assert (
        page.locator("h1").inner_text() == "Shigatse International Land Port · Customs monitoring"
    )
    assert page.locator("html").get_attribute("lang") == "en"
    page.wait_for_function("document.querySelectorAll('#truck-list button').length === 8")
    assert "[" not in page.locator("main").inner_text()  # no untranslated key shows
    screenshot(page, "screen-en")


def test_the_screen_reads_well_and_works_from_the_keyboard(page: Any) -> None:
    open_screen(page)
    assert contrast_failures(page, "main") == []
    assert contrast_failures(page, "header") == []
    first_truck = page.get_by_test_id("truck-list").locator("button").first
    first_truck.focus()
    page.keyboard.press("Enter")
    panel = page.get_by_test_id("truck-panel")
    panel.locator("h3").first.wait_for()
    assert page.evaluate("document.activeElement.id") == "truck-close"  # focus moves in
    page.keyboard.press("Enter")
    assert panel.is_hidden()
