"""From the customs desk to the border post in a real browser: the officer examines a red-lane
declaration, records the scan, releases it and arms an e-lock; the border officer reads the
gate (plate or the certificate's QR text), sees every check's reason, and releases.

The tests of this module run in order on one port: each picks up what the previous left.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
import pytest

from browser.conftest import LOGINS, LiveServer, open_console, screenshot
from builders import make_container_number
from goods import primary_lithium_payload
from landport.adapters.certificate_content import certificate_time
from landport.adapters.certificates import sign_certificate
from landport.adapters.signing_keys import signing_key
from landport.shared.clock import BEIJING, SystemClock

pytestmark = pytest.mark.browser


PLATE = "藏D60606"
CONTAINER = make_container_number("CSQU", "606061")
SEAL = "EL-0009"  # an e-lock of the demo pool that is available
AT_BORDER_PLATE = "浙D10148"  # a demo truck at Gyirong whose journey passes every check


@pytest.fixture(scope="module")
def red_declaration(live_server: LiveServer) -> dict[str, Any]:
    """Primary lithium cells of the demo's Zhejiang exporter: always the red lane."""
    payload = primary_lithium_payload(
        consignor_uscc="91330100MA2H00001P",
        vehicle_plate=PLATE,
        containers=[{"number": CONTAINER, "size_type": "22G1", "gross_kg": "3400"}],
    )
    response = httpx.post(
        live_server.url("/api/v1/declarations?submit=true"),
        json=payload,
        headers=live_server.headers(LOGINS["declarant"]),
    )
    assert response.status_code == 201, response.text
    declaration: dict[str, Any] = response.json()
    assert declaration["lane"] == "red" and declaration["status"] == "examination"
    return declaration


def test_the_worklist_ranks_red_first_and_shows_the_rules_that_fired(
    page: Any, red_declaration: dict[str, Any]
) -> None:
    open_console(page, "customs_officer")
    row = page.locator("#worklist tbody tr", has_text=red_declaration["number"])
    row.wait_for()
    assert "R-LI-PRIMARY" in row.inner_text()
    assert "锂原电池" in row.inner_text()  # the rule's reason, in the page's language
    fired = row.locator("ul.fired").inner_text()
    assert "风险分" in fired or "直接走" in fired  # what the rule did, in words too
    assert "force " not in fired and "score " not in fired
    lanes = page.locator("#worklist tbody tr .lane").all_inner_texts()
    assert lanes and all(lane.startswith("红色") for lane in lanes[: lanes.count(lanes[0])])
    screenshot(page, "console-customs-worklist")


def test_release_is_refused_until_the_scan_is_recorded_then_granted(
    page: Any, red_declaration: dict[str, Any]
) -> None:
    open_console(page, "customs_officer")
    page.locator(f"[data-open='{red_declaration['id']}']").click()
    page.locator("#case-body").get_by_text(CONTAINER).wait_for()

    page.locator("#decision-form [data-decision=release]").click()
    refused = page.locator("#decision-form .form-summary li").first
    refused.wait_for()
    assert page.locator("#case-status.notice-error").count() == 1
    # the rule that blocks it, without the API's name for the declaration's state
    assert "尚未录入机检或人工查验结果" in refused.inner_text()
    assert "status" not in refused.inner_text()
    screenshot(page, "console-customs-release-refused")

    page.locator("#insp-kind").select_option("scan")
    page.locator("#insp-result").select_option("clear")
    page.locator("#insp-equipment").fill("nii-portal-1")
    image = b"\x89PNG scan of container " + CONTAINER.encode()
    page.locator("#insp-image").set_input_files(
        files=[{"name": "scan.png", "mimeType": "image/png", "buffer": image}]
    )
    page.wait_for_function("document.getElementById('insp-sha').value.length === 64")
    assert page.locator("#insp-sha").input_value() == hashlib.sha256(image).hexdigest()
    page.locator("#insp-findings").fill("图像与申报相符 image consistent with the declared cells")
    page.locator("#inspection-form button[type=submit]").click()
    page.wait_for_timeout(1000)
    print(page.locator("#inspection-form").inner_text())
    page.locator("#case-body tr", has_text="图像正常").wait_for()

    page.locator("#decision-reason").fill("机检图像正常，予以放行")
    page.locator("#decision-form [data-decision=release]").click()
    page.locator("#case-status.notice-ok", has_text="已放行").wait_for()
    assert page.locator("#decision-form .form-summary li").count() == 0
    screenshot(page, "console-customs-released")


def test_the_officer_arms_an_e_lock_on_the_released_goods(
    page: Any, live_server: LiveServer, red_declaration: dict[str, Any]
) -> None:
    open_console(page, "customs_officer")
    option = page.locator("#arm-declaration option", has_text=red_declaration["number"])
    option.wait_for(state="attached")
    page.locator("#arm-declaration").select_option(red_declaration["id"])
    assert page.locator("#arm-route").input_value() == "shigatse-gyirong"  # its exit port
    page.locator("#arm-preview", has_text=CONTAINER).wait_for()
    assert PLATE in page.locator("#arm-preview").inner_text()
    page.locator("#arm-seal").select_option(SEAL)
    page.locator("#arm-form button[type=submit]").click()
    status = page.locator("#arm-status.notice-ok")
    status.wait_for()
    assert SEAL in status.inner_text() and PLATE in status.inner_text()
    page.locator("#armed-trips tr", has_text=PLATE).wait_for()
    trips = httpx.get(
        live_server.url("/api/v1/trips?active=true&page_size=200"),
        headers=live_server.headers(LOGINS["customs_officer"]),
    ).json()["items"]
    trip = next(t for t in trips if t["declaration_id"] == red_declaration["id"])
    assert (trip["seal_id"], trip["containers"]) == (SEAL, [CONTAINER])
    assert "[consoles." not in page.inner_text("body")  # every string is translated
    screenshot(page, "console-customs-armed")


def test_at_the_border_a_truck_still_in_the_yard_is_referred_with_its_reasons(
    page: Any,
) -> None:
    open_console(page, "border_officer", english=True)
    page.locator("#b-plate").fill(PLATE)
    page.locator("#verify-form button[type=submit]").click()
    page.locator("#verdict-title").wait_for()
    assert page.locator("#verdict-title").inner_text().startswith("REFER")
    failed = page.locator("#verdict [data-check=trip_at_border]")
    assert "failed" in (failed.get_attribute("class") or "")
    assert "not at the border port" in failed.inner_text()
    assert page.locator("#verdict [data-check=seal_identity].ok").count() == 1
    assert page.locator("#verdict .figure").count() > 0  # each rule's measurement, in English
    assert page.locator("#release").is_disabled()
    assert "[consoles." not in page.inner_text("body")
    screenshot(page, "console-border-refer-en")


def test_an_expired_certificate_qr_is_refused_with_when_it_expired(
    page: Any, live_server: LiveServer
) -> None:
    """A paper printed for this trip by the port's own key, but whose validity ended two days
    ago: the signature holds, the paper does not."""
    officer = live_server.headers(LOGINS["border_officer"])
    verified = httpx.get(
        live_server.url("/api/v1/border/verify"), params={"plate": AT_BORDER_PLATE}, headers=officer
    )
    trip_id = verified.json()["trip_id"]
    current = httpx.get(live_server.url(f"/api/v1/trips/{trip_id}/certificate"), headers=officer)
    content = current.json()["certificate"]
    until = SystemClock().now().replace(second=0, microsecond=0) - timedelta(days=2)
    content["window"]["end"] = certificate_time(until - timedelta(hours=24))
    content["issued_at"] = certificate_time(until - timedelta(hours=30))
    content["valid_until"] = certificate_time(until)
    old = sign_certificate(content, signing_key(environment="test"))

    open_console(page, "border_officer")
    page.locator("#arrivals tr", has_text=AT_BORDER_PLATE).wait_for()
    first = page.locator("#arrivals tbody tr").first.inner_text()
    assert AT_BORDER_PLATE in first and "抵达口岸" in first  # the truck at the gate heads the list
    page.locator("#b-qr").fill(old["qr"])
    page.locator("#verify-form button[type=submit]").click()
    page.locator("#verdict-title").wait_for()
    check = page.locator("#verdict [data-check=qr_signature]")
    assert "failed" in (check.get_attribute("class") or "")
    assert check.get_attribute("data-reasons") == "expired"
    local = until.astimezone(BEIJING)
    assert f"证书已于北京时间 {local:%Y/%m/%d %H:%M} 过期" in check.inner_text()
    assert page.locator("#release").is_disabled()
    assert "[consoles." not in page.inner_text("body")


def test_the_certificate_qr_verifies_and_the_border_officer_releases(
    page: Any, live_server: LiveServer
) -> None:
    officer = live_server.headers(LOGINS["border_officer"])
    verified = httpx.get(
        live_server.url("/api/v1/border/verify"), params={"plate": AT_BORDER_PLATE}, headers=officer
    )
    assert verified.status_code == 200, verified.text
    trip_id = verified.json()["trip_id"]
    qr = httpx.get(live_server.url(f"/api/v1/trips/{trip_id}/certificate"), headers=officer).json()[
        "qr"
    ]

    open_console(page, "border_officer")
    page.locator("#arrivals tr", has_text=AT_BORDER_PLATE).wait_for()
    page.locator("#b-qr").fill(qr)
    page.locator("#verify-form button[type=submit]").click()
    page.locator("#verdict-title").wait_for()
    assert page.locator("#verdict-title").inner_text().startswith("通过")
    assert page.locator("#verdict [data-check=qr_signature].ok").count() == 1
    assert "有效期至北京时间" in page.locator("#verdict [data-check=qr_signature]").inner_text()
    assert page.locator("#verdict .check.failed").count() == 0
    assert page.locator("#verdict .figure").count() == 0  # the Chinese sentences carry them
    # The QR proves the record, not the truck: nothing read yet, nothing released.
    assert page.locator("#release").is_disabled()
    assert "读取车牌和关锁号" in page.locator("#decide-status").inner_text()
    seal = httpx.get(live_server.url(f"/api/v1/trips/{trip_id}"), headers=officer).json()
    page.locator("#b-plate").fill(AT_BORDER_PLATE)
    page.locator("#b-seal").fill(seal["seal_id"])
    page.locator("#verify-form button[type=submit]").click()
    page.locator("#release:not([disabled])").wait_for()
    screenshot(page, "console-border-pass-zh")

    page.locator("#decide-note").fill("封志完好，放行")
    page.locator("#release").click()
    page.locator("#decide-status.notice-ok").wait_for()
    assert "已放行" in page.locator("#decide-status").inner_text()
    trip = httpx.get(live_server.url(f"/api/v1/trips/{trip_id}"), headers=officer).json()
    assert trip["state"] == "exited"
    screenshot(page, "console-border-released-zh")


def test_a_forged_qr_text_is_refused_by_name(page: Any) -> None:
    open_console(page, "border_officer")
    page.locator("#b-qr").fill("LP1.not-a-token")
    page.locator("#verify-form button[type=submit]").click()
    error = page.locator("#verify-form .field-error")
    error.wait_for()
    assert "二维码不是有效的陆港通关证书" in error.inner_text()
    assert page.locator("#b-qr").get_attribute("aria-invalid") == "true"


def test_the_worklist_shows_a_new_red_declaration_without_reload(
    page: Any, live_server: LiveServer
) -> None:
    open_console(page, "customs_officer")
    page.locator("#worklist tbody tr").first.wait_for()
    page.evaluate("window.notReloaded = true")
    payload = primary_lithium_payload(
        consignor_uscc="91330100MA2H00001P",
        vehicle_plate="藏D60607",
        containers=[
            {
                "number": make_container_number("CSQU", "606062"),
                "size_type": "22G1",
                "gross_kg": "3400",
            }
        ],
    )
    response = httpx.post(
        live_server.url("/api/v1/declarations?submit=true"),
        json=payload,
        headers=live_server.headers(LOGINS["declarant"]),
    )
    assert response.status_code == 201, response.text
    page.locator("#worklist tr", has_text=response.json()["number"]).wait_for(timeout=5_000)
    assert page.evaluate("window.notReloaded") is True


def test_the_officer_holds_a_declaration_with_a_reason_and_lifts_the_hold(
    page: Any, live_server: LiveServer
) -> None:
    open_console(page, "customs_officer")
    first = page.locator("#worklist tbody [data-open]").first
    declaration_id = first.get_attribute("data-open")
    first.click()
    page.locator("#case-actions").wait_for()
    page.locator("#decision-reason").fill("等待原产地证明 awaiting the certificate of origin")
    page.locator("#decision-form [data-decision=hold]").click()
    page.locator("#case-status.notice-ok", has_text="挂起").wait_for()
    page.locator("#decision-form [data-decision=lift-hold]").click()
    page.locator("#case-status.notice-ok", has_text="查验").wait_for()
    history = httpx.get(
        live_server.url(f"/api/v1/declarations/{declaration_id}"),
        headers=live_server.headers(LOGINS["customs_officer"]),
    ).json()["history"]
    assert [h["status"] for h in history[-2:]] == ["held", "examination"]
    assert history[-2]["reason"] == "等待原产地证明 awaiting the certificate of origin"
