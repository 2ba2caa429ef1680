"""The yard's live scan queue feeds selectivity on submission, on SQLite and PostgreSQL.

The test rules have a zero random floor and a 5 % ceiling, so a request shows as is.
"""

from __future__ import annotations

from typing import Any

from goods import furniture_payload, primary_lithium_payload
from landport.adapters.reference_files import YardFiles
from yard_world import MakeWorld, declared, make_world, pre_advised

__all__ = ["make_world"]  # the fixture the tests below use


def red_truck_at_a_lane(w: Any, plate: str) -> None:
    declaration = declared(w, primary_lithium_payload(vehicle_plate=plate), "examination")
    visit = pre_advised(w, declaration, plate)
    assert w.post("yardman", "/api/v1/gate/in", {"plate": plate}).status_code == 200
    sent = w.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch")
    assert sent.status_code == 200 and sent.json()["status"] == "at_lane"


def assessment_of(w: Any, plate: str) -> dict[str, Any]:
    lodged = w.lodge(furniture_payload(vehicle_plate=plate), submit=True)
    assert lodged.status_code == 201, lodged.text
    officer_view = w.get("officer", f"/api/v1/declarations/{lodged.json()['id']}").json()
    assessment: dict[str, Any] = officer_view["assessment"]  # the exporter is told the lane
    return assessment


def test_a_quiet_yard_reports_nothing_and_the_floor_applies(make_world: MakeWorld) -> None:
    w = make_world()
    assessment = assessment_of(w, "藏D40001")
    assert "capacity" not in assessment
    assert assessment["random"]["rate_reason"] == "floor"
    assert assessment["random"]["requested_red_rate"] is None


def test_idle_scan_lanes_raise_the_random_rate_to_the_ceiling_and_say_why(
    make_world: MakeWorld,
) -> None:
    w = make_world()
    red_truck_at_a_lane(w, "藏D40001")
    assessment = assessment_of(w, "藏D40002")
    capacity = assessment["capacity"]
    assert capacity["scan_queue"] == {
        "trucks_waiting": 0,
        "trucks_at_lanes": 1,
        "lanes": 2,
        "open_lanes": 2,
        "expected_wait_minutes": 0.0,
    }
    assert capacity["requested_red_rate"] == 0.05 and "idle" in capacity["reason_en"]
    assert assessment["random"]["requested_red_rate"] == 0.05
    assert assessment["random"]["red_rate"] == 0.05
    assert assessment["random"]["rate_reason"] == "requested"


def test_congested_scan_lanes_keep_the_floor_and_forced_lanes(make_world: MakeWorld) -> None:
    document = YardFiles(None).layout_document()
    for lane in document["scan_lanes"]:
        lane["service_minutes"] = 60
    w = make_world(document)
    red_truck_at_a_lane(w, "藏D40001")
    red_truck_at_a_lane(w, "藏D40002")
    assessment = assessment_of(w, "藏D40003")
    assert assessment["capacity"]["requested_red_rate"] == 0.0
    assert "congested" in assessment["capacity"]["reason_en"]
    assert assessment["random"]["red_rate"] == 0.0
    forced = w.lodge(primary_lithium_payload(vehicle_plate="藏D40004"), submit=True).json()
    assert forced["lane"] == "red"
    officer_view = w.get("officer", f"/api/v1/declarations/{forced['id']}").json()
    assert officer_view["assessment"]["forced_by"] == "R-LI-PRIMARY"
