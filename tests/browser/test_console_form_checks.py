"""What the consoles check before sending, and how they say a refusal: every truck waiting
for a seal is offered (not the first page only), empty dropdowns and mistyped numbers are
named beside their field in the page's language, and the pre-advice plate follows the
declaration chosen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from browser.conftest import LOGINS, LiveServer, lodged_and_released, open_console
from goods import furniture_payload

pytestmark = pytest.mark.browser


def test_every_released_truck_without_a_seal_is_offered_for_arming(
    page: Any, live_server: LiveServer
) -> None:
    officer = live_server.headers(LOGINS["customs_officer"])
    waiting = httpx.get(
        live_server.url("/api/v1/declarations"),
        params={"status": "released", "sealed": "false", "page_size": 1},
        headers=officer,
    ).json()["total"]
    open_console(page, "customs_officer")
    options = page.locator("#arm-declaration option")
    page.wait_for_function(
        "n => document.querySelectorAll('#arm-declaration option').length === n", arg=waiting + 1
    )
    assert options.count() == min(waiting, 1000) + 1


def test_the_arming_choices_stay_while_the_lists_are_read_again(
    page: Any, live_server: LiveServer
) -> None:
    """Every live event reads the waiting trucks, locks and routes again: what the officer
    picked stays picked (the lists were rebuilt empty, and arming then said each choice was
    missing)."""
    open_console(page, "customs_officer", english=True)
    options = page.locator("#arm-declaration option")
    options.nth(1).wait_for(state="attached")
    chosen = options.nth(1).get_attribute("value")
    before = options.count()
    page.locator("#arm-declaration").select_option(chosen)
    page.locator("#arm-route").select_option("shigatse-zhangmu")  # not its own exit port
    page.locator("#arm-preview", has_text="The seal will bind").wait_for()
    lodged_and_released(live_server, furniture_payload(consignor_uscc="91330100MA2H00001P"))
    page.wait_for_function(  # the new truck is offered: the lists were read again
        "n => document.querySelectorAll('#arm-declaration option').length === n", arg=before + 1
    )
    assert page.locator("#arm-declaration").input_value() == chosen
    assert page.locator("#arm-route").input_value() == "shigatse-zhangmu"
    assert page.locator("#arm-preview").inner_text().startswith("The seal will bind")


def test_arming_with_empty_dropdowns_is_stopped_in_the_page_with_each_field_named(
    page: Any,
) -> None:
    open_console(page, "customs_officer", english=True)
    page.locator("#arm-declaration").select_option("")
    page.locator("#arm-seal").select_option("")
    page.locator("#arm-route").select_option("")
    page.locator("#arm-form button[type=submit]").click()
    summary = page.locator("#arm-form .form-summary")
    summary.locator("li").nth(2).wait_for()
    text = summary.inner_text()
    assert "Not done" in text and "Declaration" in text and "is required" in text
    assert "not found" not in text and "declaration_id" not in text
    assert page.locator("#arm-declaration[aria-invalid=true]").count() == 1


def test_minutes_that_are_not_a_whole_number_are_refused_beside_the_field(page: Any) -> None:
    open_console(page, "customs_officer")
    page.locator("#worklist [data-open]").first.click()
    page.locator("#case-actions:not([hidden])").wait_for()
    for typed in ("abc", "1e3", "0", "-5"):
        page.locator("#insp-minutes").fill(typed)
        page.locator("#inspection-form button[type=submit]").click()
        error = page.locator("#inspection-form .field-error")
        error.wait_for()
        assert "整数" in error.inner_text()
        assert "未办理" in page.locator("#case-status.notice-error").inner_text()
    # the page fixture fails the test on any script error ("Invalid time value")


def test_packages_in_hex_or_exponent_form_are_refused_not_converted(page: Any) -> None:
    open_console(page, "declarant")
    for typed in ("0x10", "1e2"):
        page.locator("#d-packages").fill(typed)
        page.locator("#declaration-form button[type=submit]").click()
        page.locator("#d-packages[aria-invalid=true]").wait_for()
        assert "整数" in page.locator("#declaration-form .form-summary").inner_text()
    page.locator("#d-gross").fill("1.2.3")
    page.locator("#declaration-form button[type=submit]").click()
    page.locator("#d-gross[aria-invalid=true]").wait_for()


def test_the_pre_advice_plate_follows_the_declaration_chosen(page: Any) -> None:
    open_console(page, "declarant")
    choices = page.locator("#v-declaration option")
    choices.nth(2).wait_for(state="attached")
    plates = [choices.nth(i).get_attribute("data-plate") for i in (1, 2)]
    for index, plate in zip((1, 2), plates, strict=True):
        page.locator("#v-declaration").select_option(index=index)
        assert page.locator("#v-plate").input_value() == plate
    page.locator("#v-declaration").select_option("")
    assert page.locator("#v-plate").input_value() == ""
    page.locator("#advice-form button[type=submit]").click()
    page.locator("#advice-form .form-summary li").first.wait_for()
    assert "未办理" in page.locator("#advice-form .form-summary").inner_text()


def test_an_inspection_is_timed_by_the_ports_clock_not_the_browsers(
    page: Any, live_server: LiveServer
) -> None:
    """The officer records an examination that took 5 minutes in a browser whose clock is
    years ahead: the record ends at the port's now (a browser's time would be refused as in the
    future, or in the demo land hours off)."""
    page.clock.install(time=datetime(2031, 7, 1, 12, 0, tzinfo=UTC))
    open_console(page, "customs_officer")
    opened = page.locator("#worklist [data-open]").first
    declaration_id = opened.get_attribute("data-open")
    opened.click()
    page.locator("#case-actions:not([hidden])").wait_for()
    page.locator("#insp-kind").select_option("physical_examination")  # red lane first
    page.locator("#insp-result").select_option("conform")
    page.locator("#insp-findings").fill("goods and papers agree")
    page.locator("#inspection-form button[type=submit]").click()
    page.locator("#case-status.notice-ok").wait_for()
    officer = live_server.headers(LOGINS["customs_officer"])
    records = httpx.get(
        live_server.url(f"/api/v1/declarations/{declaration_id}"), headers=officer
    ).json()
    last = records["inspections"][-1]
    finished = datetime.fromisoformat(last["finished_at"])
    started = datetime.fromisoformat(last["started_at"])
    assert abs(finished - datetime.now(UTC)) < timedelta(minutes=2)
    assert finished - started == timedelta(minutes=5)
