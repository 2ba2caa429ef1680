"""A customs officer handles e-lock alerts on the console: the alert a truck's lock raises
appears without a reload, is acknowledged with a note and resolved with a finding."""

from __future__ import annotations

from typing import Any

import httpx

from browser.conftest import LOGINS, LiveServer, open_console, screenshot, tamper_where_it_stands


def alert_row(page: Any, plate: str) -> Any:
    return page.locator("#alerts tr", has_text=plate).filter(has_text="关锁被破坏")


def test_an_officer_acknowledges_then_resolves_a_tamper_alert(
    page: Any, live_server: LiveServer
) -> None:
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/events/stream" in r.url else None)
    open_console(page, "customs_officer")
    page.locator("#alerts table").wait_for()
    trip = tamper_where_it_stands(live_server, 6)
    plate = trip["vehicle_plate"]
    row = alert_row(page, plate)
    row.wait_for()  # pushed by the live stream: no reload
    assert len(streams) == 1  # one stream for the alerts and the worklist alike
    assert "报警" in row.inner_text() and "未处理" in row.inner_text()

    row.locator("button[data-alert]").click()
    form = page.locator("#alert-form")
    assert plate in page.locator("#alert-chosen").inner_text()
    form.locator("[data-alert-action=acknowledge]").click()  # no note: refused here, not sent
    page.locator("#alert-reason[aria-invalid=true]").wait_for()
    assert "未处理" in alert_row(page, plate).inner_text()

    page.locator("#alert-reason").fill("calling the driver")
    form.locator("[data-alert-action=acknowledge]").click()
    page.locator("#alert-status.notice-ok", has_text=plate).wait_for()
    alert_row(page, plate).filter(has_text="处置中").wait_for()
    assert form.is_hidden()
    screenshot(page, "console-customs-alerts")

    alert_row(page, plate).locator("button[data-alert]").click()
    page.locator("#alert-reason").fill("driver checked the lock with the border post: intact")
    form.locator("[data-alert-action=resolve]").click()
    page.locator("#alert-status.notice-ok", has_text=plate).wait_for()
    alert_row(page, plate).wait_for(state="detached")

    resolved = httpx.get(
        live_server.url("/api/v1/alerts"),
        params={"state": "resolved", "trip_id": trip["trip_id"]},
        headers=live_server.headers("auditor"),
    ).json()["items"]
    assert [(a["kind"], a["handled_by"]) for a in resolved] == [("tamper", "officer")]
    assert resolved[0]["reason"].startswith("driver checked the lock")


def test_the_alert_panel_reads_in_english(page: Any, live_server: LiveServer) -> None:
    open_console(page, "customs_officer", english=True)
    panel = page.locator("#alerts-panel")
    panel.locator("table caption").wait_for()
    assert panel.locator("h2").inner_text() == "E-lock alerts"
    assert "Severity" in panel.locator("thead").inner_text()


def test_an_alert_handled_elsewhere_meanwhile_closes_the_form_and_says_so(
    page: Any, live_server: LiveServer
) -> None:
    open_console(page, "customs_officer")
    page.locator("#alerts table").wait_for()
    trip = tamper_where_it_stands(live_server, 7)
    row = alert_row(page, trip["vehicle_plate"])
    row.wait_for()
    row.locator("button[data-alert]").click()
    assert page.locator("#alert-form").is_visible()
    officer = live_server.headers(LOGINS["customs_officer"])
    listed = httpx.get(
        live_server.url("/api/v1/alerts"),
        params={"state": "open", "trip_id": trip["trip_id"], "kind": "tamper"},
        headers=officer,
    ).json()["items"]
    path = f"/api/v1/alerts/{listed[0]['id']}/resolve"
    done = httpx.post(
        live_server.url(path), json={"reason": "seen on the gate camera"}, headers=officer
    )
    assert done.status_code == 200, done.text
    page.locator("#alert-status.notice-error").wait_for()  # the live stream told the page
    assert page.locator("#alert-form").is_hidden()
    assert row.count() == 0
