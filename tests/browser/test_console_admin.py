"""The port administrator's console in a real browser: users and enterprises (created through
forms whose errors are the API's), the risk rules with publishing, the border port calendars,
and route import from a file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from browser.conftest import LOGINS, LiveServer, open_console, screenshot
from landport.shared.clock import BEIJING

pytestmark = pytest.mark.browser


def test_the_admin_sees_users_enterprises_rules_calendars_and_routes(page: Any) -> None:
    open_console(page, "port_admin")
    page.locator("#users tbody tr", has_text=LOGINS["declarant"]).wait_for()
    page.locator("#current-rules tbody tr", has_text="R-LI-PRIMARY").wait_for()
    effects = page.locator("#current-rules").inner_text()
    assert "风险分 +25" in effects and "直接走红色" in effects  # what each rule does, in words
    assert '{"' not in effects
    page.locator("#routes tbody tr", has_text="shigatse-gyirong").wait_for()
    assert page.locator("#enterprises tbody tr").count() >= 2
    calendars = page.locator("#calendars-panel tbody tr")
    assert calendars.count() == 3
    assert "10:00–12:30" in calendars.first.inner_text()
    document = json.loads(page.locator("#ruleset-document").input_value())
    assert any(rule["id"] == "R-LI-PRIMARY" for rule in document["rules"])
    assert "[consoles." not in page.inner_text("body")  # every string is translated
    screenshot(page, "console-admin")


def test_a_user_form_shows_the_api_rules_then_creates_the_user(
    page: Any, live_server: LiveServer
) -> None:
    open_console(page, "port_admin", english=True)
    page.locator("#user-enterprise option[value='91330100MA2H00001P']").wait_for(state="attached")
    page.locator("#u-name").fill("ngawang")
    page.locator("#u-password").fill("short")
    page.locator("#u-role").select_option("border_officer")
    page.locator("#u-port").select_option("zhangmu-port")
    page.locator("#user-form button[type=submit]").click()
    error = page.locator("#user-form .field-error")
    error.wait_for()
    assert "at least 8 characters" in error.inner_text()
    assert page.locator("#u-password").get_attribute("aria-invalid") == "true"
    assert "[consoles." not in page.inner_text("body")
    screenshot(page, "console-admin-user-error-en")

    page.locator("#u-password").fill("a long enough secret")
    page.locator("#user-form button[type=submit]").click()
    page.locator("#user-form-status.notice-ok", has_text="ngawang").wait_for()
    page.locator("#users tbody tr", has_text="ngawang").wait_for()
    users = httpx.get(
        live_server.url("/api/v1/users"), headers=live_server.headers(LOGINS["port_admin"])
    ).json()["items"]
    created = next(u for u in users if u["username"] == "ngawang")
    assert (created["role"], created["port_id"]) == ("border_officer", "zhangmu-port")


def test_a_broken_ruleset_is_refused_by_path_and_a_good_one_is_published(page: Any) -> None:
    open_console(page, "port_admin")
    editor = page.locator("#ruleset-document")
    page.locator("#current-rules tbody tr").first.wait_for()
    document = json.loads(editor.input_value())
    document["score_thresholds"]["red"] = "high"
    editor.fill(json.dumps(document, ensure_ascii=False))
    page.locator("#ruleset-form button[type=submit]").click()
    page.locator("#ruleset-form .form-summary li", has_text="score_thresholds").wait_for()

    document["score_thresholds"]["red"] = 65
    editor.fill(json.dumps(document, ensure_ascii=False))
    page.locator("#ruleset-comment").fill("红色阈值调至 65")
    page.locator("#ruleset-form button[type=submit]").click()
    page.locator("#ruleset-form-status.notice-ok").wait_for()
    page.locator("#rulesets tbody tr", has_text="红色阈值调至 65").wait_for()


def test_a_route_file_that_is_not_geojson_is_refused_with_the_reason(page: Any) -> None:
    open_console(page, "port_admin")
    page.locator("#route-form button[type=submit]").click()
    page.locator("#route-form .field-error", has_text="请选择").wait_for()

    page.locator("#route-file").set_input_files(
        files=[
            {"name": "track.geojson", "mimeType": "application/geo+json", "buffer": b"{not json"}
        ]
    )
    page.locator("#route-form button[type=submit]").click()
    page.locator("#route-form .form-summary li", has_text="不是有效的 JSON").wait_for()
    assert page.locator("#route-form .form-summary li").count() == 1
    screenshot(page, "console-admin-route-refused")


def test_an_enterprise_registered_with_its_export_history_shows_it(
    page: Any, live_server: LiveServer
) -> None:
    open_console(page, "port_admin", english=True)
    form = page.locator("#enterprise-form")
    form.locator("#e-uscc").fill(REGULAR)
    form.locator("#e-name-zh").fill("日喀则老客户藏毯有限公司")
    form.locator("#e-name-en").fill("Shigatse Regular Carpets Co.")
    form.locator("#e-province").select_option("tibet")
    form.locator("#e-exports-since").fill("2024-05-20")
    form.locator("button[type=submit]").click()
    page.locator("#enterprise-form-status.notice-ok").wait_for()
    row = page.locator("#enterprises tbody tr", has_text=REGULAR)
    row.wait_for()
    assert "2024-05-20" in row.inner_text()
    others = page.locator("#enterprises tbody tr", has_text="not recorded")
    assert others.count() >= 1  # the enterprises registered without a history
    stored = httpx.get(
        live_server.url("/api/v1/enterprises"), headers=live_server.headers(LOGINS["port_admin"])
    ).json()["items"]
    assert {e["uscc"]: e["exports_here_since"] for e in stored}[REGULAR] == "2024-05-20"


REGULAR = "91540200MA6T00071M"  # a valid USCC of a Shigatse enterprise


def test_an_agency_authorisation_is_recorded_refused_when_backwards_and_revoked(
    page: Any, live_server: LiveServer
) -> None:
    """The admin records a consignor's authorisation of a customs broker from the console
    (dates the wrong way round are refused on the field, in English), sees it in force, and
    revokes it with a reason."""
    admin = live_server.headers(LOGINS["port_admin"])
    listed = httpx.get(live_server.url("/api/v1/enterprises"), headers=admin).json()["items"]
    consignor, agent = sorted(e["uscc"] for e in listed)[:2]
    open_console(page, "port_admin", english=True)
    form = page.locator("#agency-form")
    form.locator(f"#a-agent option[value='{agent}']").wait_for(state="attached")
    form.locator("#a-consignor").select_option(consignor)
    form.locator("#a-agent").select_option(agent)
    today = datetime.now(BEIJING).date()  # the live server's clock
    first, last = (
        (today - timedelta(days=30)).isoformat(),
        (today + timedelta(days=335)).isoformat(),
    )
    form.locator("#a-from").fill(last)
    form.locator("#a-to").fill(first)
    form.locator("button[type=submit]").click()
    form.locator(".field-error").first.wait_for()
    assert page.locator("#a-to").get_attribute("aria-invalid") == "true"

    form.locator("#a-consignor").select_option(consignor)
    form.locator("#a-agent").select_option(agent)
    form.locator("#a-from").fill(first)
    form.locator("#a-to").fill(last)
    form.locator("button[type=submit]").click()
    page.locator("#agency-form-status.notice-ok", has_text=agent).wait_for()
    row = page.locator("#authorisations tbody tr", has_text="in force").filter(has_text=agent)
    row.first.wait_for()
    assert consignor in row.first.inner_text()
    assert "[consoles." not in page.inner_text("body")
    screenshot(page, "console-admin-agency-en")

    revoke = page.locator("#revoke-form")
    revoke.locator("#r-reason").fill("contract ended")
    revoke.locator("button[type=submit]").click()
    page.locator("#revoke-form-status.notice-ok", has_text=consignor).wait_for()
    page.locator("#authorisations tbody tr", has_text="contract ended").wait_for()
    stored = httpx.get(live_server.url("/api/v1/agency-authorisations"), headers=admin).json()
    mine = [
        a for a in stored["items"] if (a["consignor_uscc"], a["agent_uscc"]) == (consignor, agent)
    ]
    assert len(mine) == 1 and mine[0]["revocation_reason"] == "contract ended"


def test_the_admin_deactivates_an_account_and_its_session_ends(
    page: Any, live_server: LiveServer
) -> None:
    """The form asks for a reason (the API's rule, shown on the field); once applied, the
    person's token is refused and the table says the account is inactive."""
    admin = live_server.headers(LOGINS["port_admin"])
    body = {"username": "dawa", "password": "dawa-long-pass", "role": "yard_operator"}
    created = httpx.post(live_server.url("/api/v1/users"), json=body, headers=admin)
    assert created.status_code == 201, created.text
    login = {"username": "dawa", "password": "dawa-long-pass"}
    token = httpx.post(live_server.url("/api/v1/auth/token"), data=login).json()["access_token"]
    me = live_server.url("/api/v1/me")
    assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    open_console(page, "port_admin", english=True)
    page.locator("#acc-user option[value='dawa']").wait_for(state="attached")
    page.locator("#acc-user").select_option("dawa")
    page.locator("#acc-action").select_option("deactivate")
    page.locator("#account-form button[type=submit]").click()
    page.locator("#account-form .field-error").wait_for()  # no reason given
    assert page.locator("#acc-reason").get_attribute("aria-invalid") == "true"
    assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    page.locator("#acc-reason").fill("contract ended")
    page.locator("#account-form button[type=submit]").click()
    page.locator("#account-form-status.notice-ok", has_text="dawa").wait_for()
    row = page.locator("#users tbody tr", has_text="dawa")
    row.filter(has_text="No").wait_for()
    assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "[consoles." not in page.inner_text("body")
    screenshot(page, "console-admin-account-deactivated-en")
