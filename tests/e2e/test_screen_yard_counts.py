"""The big screen's "expected" and "in the yard" follow the trucks through the gate, on both
engines: a declared truck is expected, not in the yard, until it passes the gate; a sealed
truck is counted once; a truck sealed without a gate record is still in the yard; leaving
the gate puts it in transit."""

from __future__ import annotations

from typing import Any

from goods import furniture_payload
from world import World
from yard_world import arm_seal, declared, make_world, parked_truck, pre_advised, world

__all__ = ["make_world", "world"]  # the fixtures the test below uses


def trucks(w: World) -> dict[str, Any]:
    figures: dict[str, Any] = w.get("officer", "/api/v1/screen/summary").json()["trucks"]
    return figures


def where(w: World) -> tuple[int, int, int]:
    t = trucks(w)
    return t["expected"], t["in_yard"], t["in_transit"]


def test_a_truck_is_expected_until_the_gate_and_in_the_yard_until_it_leaves(world: World) -> None:
    w = world
    assert where(w) == (0, 0, 0)
    declaration = declared(w, furniture_payload(vehicle_plate="藏D40001"))
    visit = pre_advised(w, declaration, "藏D40001")
    assert where(w) == (1, 0, 0)  # declared and announced: on its way to the port

    assert w.post("yardman", "/api/v1/gate/in", {"plate": "藏D40001"}).status_code == 200
    assert where(w) == (0, 1, 0)
    assert w.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch").status_code == 200
    arm_seal(w, declaration["id"], "EL-4001")
    assert where(w) == (0, 1, 0)  # sealed in the yard: one truck, counted once

    parked = parked_truck(w, "藏D40002", "EL-4002")
    assert where(w) == (0, 2, 0)
    unrecorded = declared(w, furniture_payload(vehicle_plate="藏D40003"))
    arm_seal(w, unrecorded["id"], "EL-4003")  # sealed without a gate record
    assert where(w) == (0, 3, 0)

    paid = w.post("yardman", f"/api/v1/visits/{parked['departure']['visit_id']}/fees-paid")
    assert paid.status_code == 200, paid.text
    out = w.post("yardman", "/api/v1/gate/out", {"plate": "藏D40002"})
    assert out.status_code == 200, out.text
    assert where(w) == (0, 2, 1)
