"""The yard operator's console in a real browser: a pre-advised truck gates in by plate and
shows on the gate board; a yard hold blocks its gate-out with the reason, and lifting the
hold clears it; a truck whose goods customs refused leaves back inland by the same gate;
lanes, bays and the parking map are drawn from the yard layout."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from browser.conftest import LOGINS, LiveServer, open_console, screenshot

pytestmark = pytest.mark.browser


def announce(live_server: LiveServer, status: str, which: int) -> dict[str, Any]:
    """The demo exporter announces the truck of its `which`-th declaration in `status`;
    returns the declaration."""
    declarant = live_server.headers(LOGINS["declarant"])
    listed = httpx.get(
        live_server.url(f"/api/v1/declarations?status={status}"), headers=declarant
    ).json()["items"]
    declaration: dict[str, Any] = listed[which]
    body = {"declaration_id": declaration["id"], "plate": declaration["vehicle_plate"]}
    response = httpx.post(live_server.url("/api/v1/visits"), json=body, headers=declarant)
    assert response.status_code == 201, response.text
    declaration["visit"] = response.json()
    return declaration


@pytest.fixture(scope="module")
def announced_truck(live_server: LiveServer) -> dict[str, Any]:
    """The demo exporter announces the truck of one of its released declarations."""
    visit: dict[str, Any] = announce(live_server, "released", 0)["visit"]
    return visit


def test_a_truck_gates_in_by_plate_and_shows_on_the_gate_board(
    page: Any, announced_truck: dict[str, Any]
) -> None:
    plate = announced_truck["plate"]
    open_console(page, "yard_operator")
    page.locator("#expected tr", has_text=plate).wait_for()
    assert page.locator("#parking .zone").count() == 3
    assert page.locator("#lanes .resource").count() == 4  # two scan lanes, two bays
    portal = page.locator("#lanes .resource h4").first.inner_text()
    assert "1号机检通道（门式）" in portal and "nii-portal-1" in portal  # the sign, and its id

    page.locator("#gate-plate").fill("藏Z00000")  # nobody announced this one
    page.locator("#gate-in").click()
    page.locator("#gate-status.notice-error").wait_for()
    assert page.locator("#gate-form .form-summary li").count() >= 1

    page.locator("#gate-plate").fill(plate)
    page.locator("#gate-plate").press("Enter")  # the entry gate is the form's default action
    page.locator("#gate-status.notice-ok", has_text=plate).wait_for()
    row = page.locator("#gate-board tr", has_text=plate)
    row.wait_for()
    assert "已入闸" in row.inner_text()

    row.locator("[data-move=queued]").click()  # the only step the visit's life allows now
    page.locator("#gate-board tr", has_text=plate).filter(has_text="排队中").wait_for()
    assert page.locator("#lanes .queue-total").inner_text().startswith("排队 1 辆")
    screenshot(page, "console-yard-gate-board")


def test_a_yard_hold_blocks_gate_out_until_it_is_lifted(
    page: Any, live_server: LiveServer, announced_truck: dict[str, Any]
) -> None:
    plate = announced_truck["plate"]
    open_console(page, "yard_operator")
    page.locator("#hold-visit option", has_text=plate).wait_for(state="attached")
    page.locator("#hold-visit").select_option(announced_truck["id"])
    page.locator("#hold-reason").fill("场站费用未结清 yard fees unpaid")
    page.locator("#hold-form button[type=submit]").click()
    hold_row = page.locator("#holds tbody tr", has_text="场站费用未结清")
    hold_row.wait_for()
    assert plate in hold_row.inner_text()
    assert "1 项扣留" in page.locator("#gate-board tr", has_text=plate).inner_text()

    page.locator("#gate-plate").fill(plate)
    page.locator("#gate-out").click()
    refused = page.locator("#gate-status.notice-error")
    refused.wait_for()
    blockers = page.locator("#gate-form .form-summary").inner_text()
    assert "场站费用未结清" in blockers or "扣留" in blockers, blockers
    assert "[consoles." not in page.inner_text("body")  # every string is translated
    screenshot(page, "console-yard-hold")

    page.locator("#lift-note").fill("费用已缴 fees paid")
    hold_row.get_by_role("button").click()
    page.locator("#holds tbody tr", has_text="暂无扣留").wait_for()
    visit = httpx.get(
        live_server.url(f"/api/v1/visits/{announced_truck['id']}"),
        headers=live_server.headers(LOGINS["yard_operator"]),
    ).json()
    assert [h["active"] for h in visit["holds"]] == [False]
    assert visit["holds"][0]["lift_note"] == "费用已缴 fees paid"


def test_the_yard_console_reads_in_english(page: Any, announced_truck: dict[str, Any]) -> None:
    open_console(page, "yard_operator", english=True)
    page.locator("#gate-board tr", has_text=announced_truck["plate"]).wait_for()
    assert "Queued" in page.locator("#gate-board").inner_text()
    assert "Fees paid" in page.locator("#gate-board").inner_text()
    assert "Dangerous goods" in page.locator("#parking").inner_text()
    assert "[consoles." not in page.inner_text("body")
    screenshot(page, "console-yard-en")


def test_a_truck_whose_goods_are_refused_leaves_back_inland_at_the_gate(
    page: Any, live_server: LiveServer
) -> None:
    """The exporter announces a truck of goods under examination, the gate admits it, the
    officer refuses the goods: the clerk's gate-out sends it back inland (退关离场)."""
    officer, clerk = (
        live_server.headers(LOGINS[role]) for role in ("customs_officer", "yard_operator")
    )
    declaration = announce(live_server, "examination", -1)
    plate, visit = declaration["vehicle_plate"], declaration["visit"]
    entered = httpx.post(live_server.url("/api/v1/gate/in"), json={"plate": plate}, headers=clerk)
    assert entered.status_code == 200, entered.text
    refused = httpx.post(
        live_server.url(f"/api/v1/declarations/{declaration['id']}/reject"),
        json={"reason": "goods not as declared"},
        headers=officer,
    )
    assert refused.status_code == 200, refused.text
    paid = httpx.post(live_server.url(f"/api/v1/visits/{visit['id']}/fees-paid"), headers=clerk)
    assert paid.status_code == 200, paid.text

    open_console(page, "yard_operator")
    page.locator("#gate-board tr", has_text=plate).wait_for()
    page.locator("#gate-plate").fill(plate)
    page.locator("#gate-out").click()
    page.locator("#gate-status.notice-ok", has_text="退关离场").wait_for()
    page.locator("#gate-board tr", has_text=plate).filter(has_text="退关离场").wait_for()
    assert page.locator("#hold-visit option", has_text=plate).count() == 0  # no longer inside
    left = httpx.get(live_server.url(f"/api/v1/visits/{visit['id']}"), headers=clerk).json()
    assert left["status"] == "shut_out"


def test_the_gate_board_holds_still_under_the_pointer_and_catches_up_after(
    page: Any, live_server: LiveServer
) -> None:
    """A busy yard announces changes several times a second: the board the operator is
    pointing at does not redraw under the cursor (a click would land on another truck); it
    shows the change once the pointer leaves."""
    declaration = announce(live_server, "released", -1)
    plate = declaration["vehicle_plate"]
    body = {"declaration_id": declaration["id"], "plate": plate}
    open_console(page, "yard_operator")
    board = page.locator("#gate-board table")
    board.wait_for()
    page.evaluate("document.querySelector('#gate-board table').dataset.drawn = 'before'")
    board.hover()
    yard = live_server.headers(LOGINS["yard_operator"])
    gated = httpx.post(live_server.url("/api/v1/gate/in"), json=body, headers=yard)
    assert gated.status_code == 200, gated.text
    page.wait_for_timeout(3000)  # the live event came and the list was read again
    assert page.locator("#gate-board table[data-drawn=before]").count() == 1
    assert page.locator("#gate-board tr", has_text=plate).count() == 0
    page.mouse.move(5, 5)  # away from the board
    page.locator("#gate-board tr", has_text=plate).wait_for()
    assert page.locator("#gate-board table[data-drawn=before]").count() == 0


def test_dispatch_sends_a_released_green_truck_on_and_a_red_one_to_a_lane_with_its_reason(
    page: Any, live_server: LiveServer
) -> None:
    """The operator dispatches from the gate board: the rules choose, and the notice says
    where the truck goes and why."""
    declarant = live_server.headers(LOGINS["declarant"])
    yard = live_server.headers(LOGINS["yard_operator"])
    listed = httpx.get(
        live_server.url("/api/v1/declarations?page_size=200"), headers=declarant
    ).json()["items"]
    chosen = {
        "green": next(d for d in listed if d["status"] == "released" and d["lane"] == "green"),
        "red": next(d for d in listed if d["status"] == "examination"),
    }
    for declaration in chosen.values():
        body = {"declaration_id": declaration["id"], "plate": declaration["vehicle_plate"]}
        announced = httpx.post(live_server.url("/api/v1/visits"), json=body, headers=declarant)
        assert announced.status_code == 201, announced.text
        gate = {"plate": declaration["vehicle_plate"]}
        gated = httpx.post(live_server.url("/api/v1/gate/in"), json=gate, headers=yard)
        assert gated.status_code == 200, gated.text
    open_console(page, "yard_operator", english=True)
    green, red = (chosen[lane]["vehicle_plate"] for lane in ("green", "red"))
    page.locator("#gate-board tr", has_text=green).locator("[data-dispatch]").click()
    page.locator("#gate-status.notice-ok", has_text=f"{green}: Decided").wait_for()
    page.locator("#gate-board tr", has_text=green).filter(has_text="Decided").wait_for()
    page.locator("#gate-board tr", has_text=red).locator("[data-dispatch]").click()
    notice = page.locator("#gate-status.notice-ok", has_text=red)
    notice.wait_for()
    assert "Scan Lane" in notice.inner_text() and "shortest expected wait" in notice.inner_text()
