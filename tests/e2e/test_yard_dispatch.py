"""Lane dispatch and the visit following customs, over HTTP on SQLite and PostgreSQL.

Red-lane trucks go to the scan lane with the shortest expected wait, to a bay after a
suspicious image; customs decisions and holds reach the visit without the yard asking.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from goods import furniture_payload, primary_lithium_payload
from tracks import T0
from world import World
from yard_world import MakeWorld, codes, declared, make_world, pre_advised

__all__ = ["make_world"]  # the fixture the tests below use

PLATES = ("藏D20001", "藏D20002", "藏D20003")


def red_truck_in_queue(w: World, plate: str) -> tuple[dict[str, Any], dict[str, Any]]:
    declaration = declared(w, primary_lithium_payload(vehicle_plate=plate), "examination")
    visit = pre_advised(w, declaration, plate)
    assert w.post("yardman", "/api/v1/gate/in", {"plate": plate}).status_code == 200
    return declaration, visit


def dispatched(w: World, visit_id: str) -> dict[str, Any]:
    response = w.post("yardman", f"/api/v1/visits/{visit_id}/dispatch")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def inspect(w: World, declaration_id: str, kind: str, result: str) -> None:
    body = {
        "kind": kind,
        "result": result,
        "started_at": T0.isoformat(),
        "finished_at": (T0 + timedelta(minutes=3)).isoformat(),
        "image_sha256": "ab" * 32 if kind == "scan" else None,
        "findings": None if kind == "scan" and result == "clear" else f"{kind}: {result}",
    }
    path = f"/api/v1/declarations/{declaration_id}/inspections"
    recorded = w.post("officer", path, body)
    assert recorded.status_code == 201, recorded.text


def test_red_trucks_go_to_the_scan_lane_with_the_shortest_expected_wait(
    make_world: MakeWorld,
) -> None:
    w = make_world()
    trucks = [red_truck_in_queue(w, plate) for plate in PLATES]
    first, second, third = (dispatched(w, v["id"]) for _d, v in trucks)
    w.client.cookies.clear()  # the third driver, on his phone: the lane by its sign
    told = w.client.get(f"/api/v1{trucks[2][1]['driver_link']}").json()
    assert told["next_en"] == "Drive to Scan Lane 2 (drive-through)."
    assert told["next_zh"] == "请驶入2号机检通道（快速通过式）。"
    # Both lanes idle: the tie goes to the lower id. Then the idle portal beats the drive-
    # through lane busy for 2 more minutes; then 2 minutes at the drive-through beat 3 at
    # the portal.
    assert first["dispatch"]["station"]["station_id"] == "nii-drive-1"
    assert second["dispatch"]["station"]["station_id"] == "nii-portal-1"
    assert third["dispatch"]["station"] == {
        "station_id": "nii-drive-1",
        "name_en": "Scan Lane 2 (drive-through)",
        "name_zh": "2号机检通道（快速通过式）",
        "kind": "scan_lane",
        "kind_zh": "机检通道",
        "expected_wait_minutes": 2.0,
        "considered": [
            {"station_id": "nii-drive-1", "expected_wait_minutes": 2.0},
            {"station_id": "nii-portal-1", "expected_wait_minutes": 3.0},
        ],
        "reason_en": "Scan Lane 2 (drive-through) has the shortest expected wait (2 min)",
        "reason_zh": "2号机检通道（快速通过式） 预计等候时间最短（2 分钟）",
    }
    assert third["status"] == "at_lane" and third["lane_id"] == "nii-drive-1"
    assert third["station"] == {
        "station_id": "nii-drive-1",
        "kind": "scan_lane",
        "kind_zh": "机检通道",
        "name_en": "Scan Lane 2 (drive-through)",
        "name_zh": "2号机检通道（快速通过式）",
    }


def test_a_suspicious_scan_sends_the_truck_to_a_bay_and_release_decides_the_visit(
    make_world: MakeWorld,
) -> None:
    w = make_world()
    declaration, visit = red_truck_in_queue(w, PLATES[0])
    assert dispatched(w, visit["id"])["lane_id"] == "nii-drive-1"
    again = w.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch")
    assert again.status_code == 409 and "scan" in again.json()["message_en"]
    inspect(w, declaration["id"], "scan", "suspicious")
    at_bay = dispatched(w, visit["id"])
    assert at_bay["status"] == "at_bay" and at_bay["station"]["kind"] == "bay"
    assert at_bay["lane_id"] == "exam-bay-1"
    inspect(w, declaration["id"], "physical_examination", "conform")
    released = w.post("officer", f"/api/v1/declarations/{declaration['id']}/release", {})
    assert released.status_code == 200, released.text
    seen = w.get("yardman", f"/api/v1/visits/{visit['id']}").json()
    assert seen["status"] == "decided"
    assert seen["steps"][-1]["actor"] == "customs-clearance"


def test_a_clear_scan_keeps_the_truck_at_the_lane_until_customs_decides(
    make_world: MakeWorld,
) -> None:
    w = make_world()
    declaration, visit = red_truck_in_queue(w, PLATES[0])
    dispatched(w, visit["id"])
    inspect(w, declaration["id"], "scan", "clear")
    waiting = dispatched(w, visit["id"])
    assert waiting["status"] == "at_lane" and waiting["dispatch"]["waiting_for"]["zh"]
    w.post("officer", f"/api/v1/declarations/{declaration['id']}/release", {})
    assert w.get("yardman", f"/api/v1/visits/{visit['id']}").json()["status"] == "decided"


def test_a_customs_hold_on_the_declaration_holds_the_truck_until_lifted(
    make_world: MakeWorld,
) -> None:
    w = make_world()
    declaration = declared(w, furniture_payload())
    visit = pre_advised(w, declaration)
    w.post("yardman", "/api/v1/gate/in", {"plate": "藏D12345"})
    dispatched(w, visit["id"])
    path = f"/api/v1/declarations/{declaration['id']}"
    held = w.post("officer", f"{path}/hold", {"reason": "value query"})
    assert held.status_code == 200, held.text
    seen = w.get("yardman", f"/api/v1/visits/{visit['id']}").json()
    assert [(h["kind"], h["active"]) for h in seen["holds"]] == [("customs", True)]
    assert "value query" in seen["holds"][0]["reason"]
    refused = w.post("yardman", "/api/v1/gate/out", {"plate": "藏D12345"})
    assert refused.status_code == 409 and "customs_hold" in codes(refused)
    assert w.post("officer", f"{path}/lift-hold", {"reason": "answered"}).status_code == 200
    lifted = w.get("yardman", f"/api/v1/visits/{visit['id']}").json()
    assert [h["active"] for h in lifted["holds"]] == [False]


def test_a_truck_without_pre_advice_or_declaration_cannot_be_dispatched(
    make_world: MakeWorld,
) -> None:
    w = make_world()
    unknown = w.post("yardman", "/api/v1/visits/no-such-visit/dispatch")
    assert unknown.status_code == 404
    assert w.post("exporter", "/api/v1/visits/no-such-visit/dispatch").status_code == 403
