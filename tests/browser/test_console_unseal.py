"""Taking an e-lock off in the yard from the customs console, in a real browser: a sealed
truck still inside the gate gets its lock removed with a reason (场内撤封); the trip ends and
the lock is disarmed, then checked and returned to the pool."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from browser.conftest import LOGINS, LiveServer, lodged_and_released, open_console
from builders import make_container_number
from goods import furniture_payload

pytestmark = pytest.mark.browser

PLATE = "藏D70707"
EXPORTER = "91330100MA2H00001P"  # the demo's Zhejiang exporter


@pytest.fixture(scope="module")
def sealed_inside(live_server: LiveServer) -> dict[str, Any]:
    """Released goods of the demo exporter, through the gate and sealed with a pool lock."""
    declarant, officer, clerk = (
        live_server.headers(LOGINS[role])
        for role in ("declarant", "customs_officer", "yard_operator")
    )
    payload = furniture_payload(
        consignor_uscc=EXPORTER,
        vehicle_plate=PLATE,
        containers=[
            {
                "number": make_container_number("CSQU", "707071"),
                "size_type": "22G1",
                "gross_kg": "9000",
            }
        ],
    )
    declaration = lodged_and_released(live_server, payload)
    body = {"declaration_id": declaration["id"], "plate": PLATE}
    assert (
        httpx.post(live_server.url("/api/v1/visits"), json=body, headers=declarant).status_code
        == 201
    )
    assert (
        httpx.post(
            live_server.url("/api/v1/gate/in"), json={"plate": PLATE}, headers=clerk
        ).status_code
        == 200
    )
    pool = httpx.get(live_server.url("/api/v1/seals"), headers=officer).json()["items"]
    seal = next(s["seal_id"] for s in pool if s["state"] == "available")
    trip = {"seal_id": seal, "declaration_id": declaration["id"], "route_id": "shigatse-gyirong"}
    armed = httpx.post(live_server.url("/api/v1/trips"), json=trip, headers=officer)
    assert armed.status_code == 201, armed.text
    return dict(armed.json())


def test_an_officer_takes_an_e_lock_off_a_truck_still_in_the_yard(
    page: Any, live_server: LiveServer, sealed_inside: dict[str, Any]
) -> None:
    open_console(page, "customs_officer")
    button = page.locator(f"#armed-trips button[data-unseal='{sealed_inside['id']}']")
    button.wait_for()
    button.click()  # no reason yet: refused, nothing sent
    page.locator("#unseal-status.notice-error", has_text="撤封原因").wait_for()
    page.locator("#unseal-reason").fill("关锁故障 faulty lock")
    button.click()
    page.locator("#unseal-status.notice-ok", has_text=PLATE).wait_for()
    page.locator(f"#armed-trips button[data-unseal='{sealed_inside['id']}']").wait_for(
        state="detached"
    )
    assert "[consoles." not in page.inner_text("body")
    trip = httpx.get(
        live_server.url(f"/api/v1/trips/{sealed_inside['id']}"),
        headers=live_server.headers(LOGINS["customs_officer"]),
    ).json()
    assert trip["state"] == "unsealed" and trip["closed_at"]
    back = page.locator(f"#disarmed-seals button[data-to-pool='{trip['seal_id']}']")
    back.click()  # checked: the lock goes back to the pool for the next truck
    page.locator("#unseal-status.notice-ok", has_text=trip["seal_id"]).wait_for()
    back.wait_for(state="detached")
    pool = httpx.get(
        live_server.url("/api/v1/seals"), headers=live_server.headers(LOGINS["customs_officer"])
    ).json()["items"]
    assert next(s for s in pool if s["seal_id"] == trip["seal_id"])["state"] == "available"
