"""The declarant console in a real browser: the API's own rules answer next to each field, in
the chosen language; a corrected declaration goes through; a truck is booked and announced;
the form is usable with the keyboard alone; other consoles are refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from browser.conftest import LOGINS, LiveServer, open_console, screenshot
from builders import make_container_number
from landport.shared.clock import BEIJING

pytestmark = pytest.mark.browser


DECLARATION_NUMBER = re.compile(r"8800\d{14}")


def fill_shipment(page: Any, *, plate: str, hs_code: str, name: str) -> None:
    """Primary lithium cells (forced red) in one 20 ft box, out through Gyirong."""
    page.locator("#d-plate").fill(plate)
    page.locator("#d-gross").fill("1200")
    page.locator("#d-net").fill("1000")
    page.locator("#d-packages").fill("20")
    page.locator("#d-total").fill("42000.00")
    page.locator("#c-0-number").fill(make_container_number("CSQU", "305439"))
    page.locator("#c-0-gross").fill("3400")
    page.locator("#i-0-hs").fill(hs_code)
    page.locator("#i-0-name").fill(name)
    page.locator("#i-0-qty").fill("200000")
    page.locator("#i-0-value").fill("42000.00")
    page.locator("#i-0-net").fill("1000")


def field_error(page: Any, input_id: str) -> str:
    """The message shown under a field, which the field names in aria-describedby."""
    field = page.locator(f"#{input_id}")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby") or ""
    message_id = next(i for i in described.split() if "-err-" in i)
    text: str = page.locator(f"#{message_id}").inner_text()
    return text


def test_a_declaration_with_errors_shows_the_api_messages_in_chinese_then_goes_through(
    page: Any, live_server: LiveServer
) -> None:
    open_console(page, "declarant")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    fill_shipment(page, plate="XX12345", hs_code="85065", name="")
    page.locator("#d-net").fill("1500")  # more than the gross mass
    page.locator("#declare-submit").click()

    summary = page.locator("#declaration-form .form-summary")
    summary.locator("li").first.wait_for()
    assert "车牌号应以省份简称" in field_error(page, "d-plate")
    assert "应为 10 位，实际为 5 位" in field_error(page, "i-0-hs")
    assert "必填" in field_error(page, "i-0-name")
    assert "项问题" in summary.inner_text()
    # each message under the form's own label, without the API's path for the field
    assert "items[0]" not in summary.inner_text() and "vehicle_plate" not in summary.inner_text()
    assert "items[0]" not in field_error(page, "i-0-hs")
    net = field_error(page, "d-net")  # its name holds brackets of its own: 净重（千克）
    assert "net_kg" not in net and "））" not in net, net
    assert page.locator("#declare-status").inner_text() == "未能申报：请修改标出的栏目。"
    screenshot(page, "console-declarant-errors-zh")
    before = httpx.get(
        live_server.url("/api/v1/declarations"), headers=live_server.headers(LOGINS["declarant"])
    ).json()["total"]

    page.locator("#d-plate").fill("藏D54321")
    page.locator("#d-net").fill("1000")
    page.wait_for_function("!document.getElementById('d-plate').hasAttribute('aria-invalid')")
    page.locator("#i-0-hs").fill("8506500000")
    page.locator("#i-0-name").fill("锂原电池 primary lithium cells CR2032")
    page.locator("#declare-submit").click()

    status = page.locator("#declare-status.notice-ok")
    status.wait_for()
    number = DECLARATION_NUMBER.search(status.inner_text())
    assert number is not None, status.inner_text()
    assert "红色" in status.inner_text()  # primary lithium is always examined
    assert page.locator("#declaration-form [aria-invalid]").count() == 0
    row = page.locator("#my-declarations tr", has_text=number.group())
    row.wait_for()
    assert "查验" in row.inner_text()
    after = httpx.get(
        live_server.url("/api/v1/declarations"), headers=live_server.headers(LOGINS["declarant"])
    ).json()["total"]
    assert after == before + 1  # the refused attempt lodged nothing
    assert "[consoles." not in page.inner_text("body")  # every string is translated
    screenshot(page, "console-declarant-declared-zh")


def test_a_declaration_whose_answer_was_lost_is_lodged_once_when_sent_again(
    page: Any, live_server: LiveServer
) -> None:
    """The server lodged it, the answer never reached the browser (a mobile link dropping at
    the wrong moment): the declarant presses again and the same request, under the same
    Idempotency-Key, answers the first declaration instead of lodging a second."""
    headers = live_server.headers(LOGINS["declarant"])
    total = lambda: httpx.get(  # noqa: E731
        live_server.url("/api/v1/declarations"), headers=headers
    ).json()["total"]
    before = total()
    keys: list[str | None] = []

    def lose_the_first_answer(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server acts on it ...
            route.abort("connectionreset")  # ... and the browser never hears back
        else:
            route.continue_()

    page.route("**/api/v1/declarations?submit=true", lose_the_first_answer)
    open_console(page, "declarant")
    fill_shipment(page, plate="藏D54322", hs_code="8506500000", name="锂原电池 CR2032")
    page.locator("#declare-submit").click()
    page.locator("#declare-status.notice-error").wait_for()
    assert total() == before + 1  # lodged, though the page could not tell
    page.locator("#declare-submit").click()
    status = page.locator("#declare-status.notice-ok")
    status.wait_for()
    assert DECLARATION_NUMBER.search(status.inner_text())
    assert total() == before + 1  # the second press replayed the first answer
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]


def test_rules_answer_while_typing_for_the_fields_already_filled_and_nothing_is_lodged(
    page: Any, live_server: LiveServer
) -> None:
    declarant = live_server.headers(LOGINS["declarant"])
    before = httpx.get(live_server.url("/api/v1/declarations"), headers=declarant).json()["total"]
    open_console(page, "declarant")
    page.locator("#i-0-hs").fill("85065")
    page.locator("#i-0-hs").press("Tab")
    page.locator("#i-0-hs[aria-invalid=true]").wait_for()
    assert "应为 10 位，实际为 5 位" in field_error(page, "i-0-hs")
    assert page.locator("#i-0-name").get_attribute("aria-invalid") is None  # not reached yet
    assert page.locator("#declaration-form .form-summary li").count() == 0

    page.locator("#i-0-hs").fill("8506500000")
    page.wait_for_function("!document.getElementById('i-0-hs').hasAttribute('aria-invalid')")
    after = httpx.get(live_server.url("/api/v1/declarations"), headers=declarant).json()["total"]
    assert after == before


def test_in_english_the_same_rules_answer_in_english(page: Any) -> None:
    open_console(page, "declarant", english=True)
    page.locator("#add-item").click()
    fill_shipment(page, plate="藏D54322", hs_code="850650000X", name="primary lithium cells")
    page.locator("#i-1-hs").fill("9401610000")
    page.locator("#declare-submit").click()

    page.locator("#declaration-form .form-summary li").first.wait_for()
    assert page.locator("#i-1-name").get_attribute("aria-invalid") == "true"
    assert field_error(page, "i-1-name") == "Goods name is required"  # by its label, not path
    assert "problem(s):" in page.locator("#declaration-form .form-summary").inner_text()
    assert page.locator("#declare-status").inner_text().startswith("Not lodged")
    assert "[consoles." not in page.inner_text("body")
    screenshot(page, "console-declarant-errors-en")


def test_tab_reaches_every_field_of_the_declaration_form_and_its_submit_button(
    page: Any,
) -> None:
    open_console(page, "declarant")
    form = page.locator("#declaration-form")
    wanted = form.evaluate(
        "f => [...f.querySelectorAll('input, select, textarea, button')]"
        ".map(e => e.id || e.textContent.trim())"
    )
    page.locator("#d-trade-mode").focus()
    reached = [page.evaluate("document.activeElement.id")]
    for _ in range(len(wanted) + 2):
        page.keyboard.press("Tab")
        active = page.evaluate(
            "document.activeElement.id || document.activeElement.textContent.trim()"
        )
        if active in reached:
            break
        reached.append(active)
        if active == "declare-submit":
            break
    assert reached[: len(wanted)] == wanted, reached
    assert reached[-1] == "declare-submit"
    for input_id in ("d-plate", "i-0-hs", "c-0-number"):
        label = page.locator(f"label[for='{input_id}']")
        assert label.inner_text().strip(), f"{input_id} has no visible label"


def test_a_truck_is_booked_against_capacity_and_announced_to_the_yard(
    page: Any, live_server: LiveServer
) -> None:
    open_console(page, "declarant")
    page.locator("#capacity table.capacity").wait_for()
    assert page.locator("#capacity td.free").count() > 0
    declaration = page.locator("#a-declaration option[data-plate]").first
    declaration.wait_for(state="attached")
    declaration_id = declaration.get_attribute("value")
    plate = declaration.get_attribute("data-plate")
    page.locator("#a-declaration").select_option(declaration_id)
    page.locator("#appointment-form button[type=submit]").click()
    page.locator("#appointment-status.notice-ok").wait_for()
    assert "已预约" in page.locator("#appointment-status").inner_text()
    page.locator("#my-appointments tbody tr", has_text="已预约").wait_for()

    page.locator("#v-declaration").select_option(declaration_id)
    assert page.locator("#v-plate").input_value() == plate  # taken from the declaration
    page.locator("#advice-form button[type=submit]").click()
    page.locator("#advice-status.notice-ok").wait_for()
    page.locator("#my-trucks tr", has_text="已预报").wait_for()
    visits = httpx.get(
        live_server.url("/api/v1/visits"), headers=live_server.headers(LOGINS["declarant"])
    ).json()["items"]
    [visit] = [v for v in visits if v["declaration_id"] == declaration_id]
    assert visit["plate"] == plate
    screenshot(page, "console-declarant-appointment")
    held = httpx.post(  # the yard holds the truck: its owner sees it among its trucks
        live_server.url(f"/api/v1/visits/{visit['id']}/holds"),
        json={"kind": "yard", "reason": "tyre check"},
        headers=live_server.headers(LOGINS["yard_operator"]),
    )
    assert held.status_code == 201, held.text
    page.reload()
    row = page.locator("#my-trucks tr", has_text=plate)
    row.wait_for()
    assert row.locator("td").nth(4).inner_text() == "1"
    row.locator(f"a[data-driver-link='{visit['id']}']").click()  # what the exporter sends on
    step = page.locator("[data-testid=driver-next]")
    step.wait_for()
    assert page.locator("#driver-plate").inner_text() == visit["plate"]
    assert "暂勿前来" in step.inner_text()  # held before it came: do not come yet
    assert "driver-held" in (step.get_attribute("class") or "")
    assert "[driver." not in page.inner_text("body")
    screenshot(page, "driver-page")


def test_a_declarant_opening_the_customs_console_is_refused_and_so_is_its_api(page: Any) -> None:
    open_console(page, "declarant")
    for area in ("customs", "yard", "border", "admin"):
        response = page.goto(f"/console/{area}")
        assert response is not None and response.status == 403
    assert page.locator("#worklist").count() == 0
    screenshot(page, "console-refused-declarant")
    status = page.evaluate("fetch('/api/v1/worklist').then(r => r.status)")
    assert status == 403


def test_the_booking_day_is_the_ports_not_the_browsers(page: Any) -> None:
    """A browser whose clock is years off (or the demo, whose clock runs ahead of the wall)
    still offers the port's own day for booking: the page ticks on from the platform's time."""
    page.clock.install(time=datetime(2031, 7, 1, 12, 0, tzinfo=UTC))
    open_console(page, "declarant")
    served = page.locator("body").get_attribute("data-now") or ""
    port_day = datetime.fromisoformat(served).astimezone(BEIJING).date().isoformat()
    assert port_day != "2031-07-01"
    assert page.locator("#capacity-date").input_value() == port_day


def test_hours_already_begun_are_not_offered_for_booking(page: Any) -> None:
    """Late in the port's day every hour of it has begun: none is shown free or offered (they
    were, and the booking was then refused as already started); "earliest" still is."""
    page.clock.install()
    open_console(page, "declarant", english=True)
    served = datetime.fromisoformat(page.locator("body").get_attribute("data-now") or "")
    day = served.astimezone(BEIJING)
    late = day.replace(hour=23, minute=30, second=0, microsecond=0)
    if late <= day:  # already that late: the next day's late evening
        late += timedelta(days=1)
    page.clock.fast_forward(int((late - day).total_seconds() * 1000))
    page.locator("#capacity-date").fill(late.date().isoformat())
    page.locator("#capacity-date").dispatch_event("change")
    page.locator("#capacity td.closed[title]").first.wait_for()
    offered = page.locator("#appointment-slot option").all_inner_texts()
    assert offered and all("earliest" in o.lower() for o in offered), offered
    assert page.locator("#capacity td.free").count() == 0
