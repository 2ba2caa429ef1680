"""A truck through the yard over HTTP, on SQLite and PostgreSQL: pre-advice to gate-out.

The fixture re-binds the yard handlers when a test brings its own layout.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from goods import furniture_payload, lithium_ion_payload
from landport import bootstrap
from landport.adapters.db.yard_store import yard_layout, yard_store
from landport.enterprises.model import Actor, Role
from landport.shared.clock import FixedClock
from landport.shared.errors import Conflict
from landport.yard.commands import AssignParking
from landport.yard.handlers import handling_yard
from landport.yard.model import YardLayout, ZoneKind
from tracks import T0
from world import World

PLATE = "藏D12345"  # the plate of the builders' declaration
CONTAINER = "CSQU3054383"
YARDMAN = Actor("yardman", Role.YARD_OPERATOR)

MakeWorld = Callable[..., World]


@pytest.fixture
def make_world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeWorld]:
    worlds: list[World] = []

    def make(layout: YardLayout | None = None) -> World:
        for command, handler in handling_yard(yard_store, layout or yard_layout()).items():
            monkeypatch.setitem(bootstrap.HANDLERS, command, handler)
        w = World(database_url, clock=FixedClock(T0))
        w.without_random_selection()
        w.add_user("yardman", "yard_operator")
        worlds.append(w)
        return w

    yield make
    for w in worlds:
        w.close()


@pytest.fixture
def world(make_world: MakeWorld) -> World:
    return make_world()


def declared(w: World, payload: dict[str, Any], status: str = "released") -> dict[str, Any]:
    declaration: dict[str, Any] = w.lodge(payload, submit=True).json()
    assert declaration["status"] == status, declaration
    return declaration


def pre_advised(w: World, declaration: dict[str, Any], plate: str = PLATE) -> dict[str, Any]:
    body = {"declaration_id": declaration["id"], "plate": plate}
    response = w.post("exporter", "/api/v1/visits", body)
    assert response.status_code == 201, response.text
    visit: dict[str, Any] = response.json()
    return visit


def arm_seal(w: World, declaration_id: str) -> None:
    seal = {"seal_id": "EL-0042", "vendor": "generic", "protocol": "json-mqtt", "secret": "k" * 20}
    assert w.post("officer", "/api/v1/seals", seal).status_code == 201
    trip = {"seal_id": "EL-0042", "declaration_id": declaration_id, "route_id": "shigatse-gyirong"}
    armed = w.post("officer", "/api/v1/trips", trip)
    assert armed.status_code == 201, armed.text


def move(w: World, visit_id: str, *steps: str) -> Any:
    response = None
    for step in steps:
        response = w.post("yardman", f"/api/v1/visits/{visit_id}/move", {"to": step})
        assert response.status_code == 200, response.text
    return response


def ready_to_leave(w: World) -> dict[str, Any]:
    """A green-lane truck, sealed, parked, fees paid and scheduled to leave."""
    declaration = declared(w, furniture_payload())
    visit = pre_advised(w, declaration)
    assert w.post("yardman", "/api/v1/gate/in", {"plate": "藏D 12345"}).status_code == 200
    move(w, visit["id"], "queued", "at_lane", "decided")
    arm_seal(w, declaration["id"])
    move(w, visit["id"], "sealed")
    assert w.post("yardman", f"/api/v1/visits/{visit['id']}/parking").status_code == 200
    assert w.post("yardman", f"/api/v1/visits/{visit['id']}/fees-paid").status_code == 200
    at = (T0 + timedelta(hours=2)).isoformat()
    departure = w.post("yardman", f"/api/v1/visits/{visit['id']}/departure", {"at": at})
    assert departure.status_code == 200, departure.text
    return visit


def codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def test_a_green_lane_truck_goes_from_pre_advice_to_gate_out(world: World) -> None:
    visit = ready_to_leave(world)
    out = world.post("yardman", "/api/v1/gate/out", {"plate": PLATE})
    assert out.status_code == 200, out.text
    left = out.json()
    assert left["status"] == "gated_out" and left["slot"]["zone_kind"] == "general"
    assert [s["status"] for s in left["steps"]] == [
        "pre_advised",
        "gated_in",
        "queued",
        "at_lane",
        "decided",
        "sealed",
        "parked",
        "departure_scheduled",
        "gated_out",
    ]
    assert world.get("exporter", f"/api/v1/visits/{visit['id']}").status_code == 200
    assert world.get("competitor", f"/api/v1/visits/{visit['id']}").status_code == 404
    assert world.get("competitor", "/api/v1/visits").json()["total"] == 0
    listed = world.get("auditor", "/api/v1/visits?status=gated_out").json()
    assert [v["id"] for v in listed["items"]] == [visit["id"]]


def test_marking_a_truck_sealed_needs_an_armed_e_lock(world: World) -> None:
    visit = pre_advised(world, declared(world, furniture_payload()))
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    move(world, visit["id"], "queued", "at_lane", "decided")
    refused = world.post("yardman", f"/api/v1/visits/{visit['id']}/move", {"to": "sealed"})
    assert refused.status_code == 409 and refused.json()["message_zh"]


def test_an_unknown_plate_is_refused_at_the_gate_with_a_reason(world: World) -> None:
    refused = world.post("yardman", "/api/v1/gate/in", {"plate": "藏A99999"})
    assert refused.status_code == 422
    assert codes(refused) == ["not_pre_advised"] and refused.json()["errors"][0]["message_zh"]
    assert world.post("exporter", "/api/v1/gate/in", {"plate": "藏A99999"}).status_code == 403


def test_a_second_gate_in_of_the_same_truck_is_refused(world: World) -> None:
    pre_advised(world, declared(world, furniture_payload()))
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    twice = world.post("yardman", "/api/v1/gate/in", {"plate": PLATE})
    assert twice.status_code == 422 and codes(twice) == ["duplicate_gate_in"]


def test_gate_out_with_a_hold_lists_every_reason_and_changes_nothing(world: World) -> None:
    visit = ready_to_leave(world)
    path = f"/api/v1/visits/{visit['id']}"
    assert (
        world.post("yardman", f"{path}/holds", {"kind": "customs", "reason": "x"}).status_code
        == 403
    )
    held = world.post("officer", f"{path}/holds", {"kind": "customs", "reason": "manifest query"})
    assert held.status_code == 201, held.text
    hold_id = held.json()["holds"][0]["id"]
    yard_hold = world.post("yardman", f"{path}/holds", {"kind": "yard", "reason": "damaged tyre"})
    assert yard_hold.status_code == 201
    before = world.get("yardman", path).json()
    refused = world.post("yardman", "/api/v1/gate/out", {"plate": PLATE})
    assert refused.status_code == 409
    assert codes(refused) == ["customs_hold", "yard_hold"]
    assert world.get("yardman", path).json() == before
    assert world.post("yardman", f"{path}/holds/{hold_id}/lift", {"note": "ok"}).status_code == 403
    lifted = world.post("officer", f"{path}/holds/{hold_id}/lift", {"note": "answered"})
    assert lifted.status_code == 200
    yard_id = yard_hold.json()["holds"][1]["id"]
    assert world.post("yardman", f"{path}/holds/{yard_id}/lift", {}).status_code == 200
    out = world.post("yardman", "/api/v1/gate/out", {"plate": PLATE})
    assert out.status_code == 200, out.text
    assert [h["active"] for h in out.json()["holds"]] == [False, False]


def test_gate_out_of_an_unsealed_truck_lists_every_blocker(world: World) -> None:
    declaration = declared(world, lithium_ion_payload(), status="document_check")
    visit = pre_advised(world, declaration)
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    path = f"/api/v1/visits/{visit['id']}"
    assert (
        world.post("officer", f"{path}/holds", {"kind": "customs", "reason": "MSDS"}).status_code
        == 201
    )
    refused = world.post("yardman", "/api/v1/gate/out", {"plate": PLATE})
    assert refused.status_code == 409
    assert codes(refused) == [
        "departure_not_scheduled",
        "declaration_not_released",
        "not_sealed",
        "customs_hold",
        "fees_unpaid",
    ]
    assert world.get("yardman", path).json()["status"] == "gated_in"


def test_lithium_batteries_park_in_the_dangerous_goods_zone(world: World) -> None:
    declaration = declared(world, lithium_ion_payload(), status="document_check")
    visit = pre_advised(world, declaration)
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    parked = world.post("yardman", f"/api/v1/visits/{visit['id']}/parking")
    assert parked.status_code == 200, parked.text
    slot = parked.json()
    assert (slot["zone_kind"], slot["slot_id"]) == ("dangerous_goods", "DG-01")
    assert "UN3480" in slot["dangerous_goods"] and slot["reason_zh"]
    seen = world.get("exporter", f"/api/v1/visits/{visit['id']}").json()
    assert seen["slot"] == {
        "slot_id": "DG-01",
        "zone_id": "dangerous-goods",
        "zone_kind": "dangerous_goods",
        "exit_distance_m": 220.0,
    }
    again = world.post("yardman", f"/api/v1/visits/{visit['id']}/parking")
    assert again.status_code == 409


def one_dg_slot() -> YardLayout:
    layout = yard_layout()
    zones = tuple(
        dataclasses.replace(z, slots=z.slots[:1]) if z.kind is ZoneKind.DANGEROUS_GOODS else z
        for z in layout.zones
    )
    return dataclasses.replace(layout, zones=zones)


def test_two_trucks_assigned_the_last_free_slot_at_once_one_wins(make_world: MakeWorld) -> None:
    w = make_world(one_dg_slot())
    visits = []
    for plate in (PLATE, "藏D12346"):
        declaration = declared(w, lithium_ion_payload(vehicle_plate=plate), "document_check")
        visits.append(pre_advised(w, declaration, plate))
        assert w.post("yardman", "/api/v1/gate/in", {"plate": plate}).status_code == 200

    def assign(visit_id: str) -> str:
        try:
            return str(w.services.bus.handle(AssignParking(YARDMAN, visit_id)).result["slot_id"])
        except Conflict:
            return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(assign, [v["id"] for v in visits]))
    assert sorted(results) == ["DG-01", "refused"]
    slots = [w.get("yardman", f"/api/v1/visits/{v['id']}").json()["slot"] for v in visits]
    assert sorted(str(s and s["slot_id"]) for s in slots) == ["DG-01", "None"]


def test_container_moves_are_listed_in_the_order_they_happened(world: World) -> None:
    path = f"/api/v1/containers/{CONTAINER}/moves"
    for kind, location in [("unload", "G-01"), ("store", "stack-A3"), ("load", "G-02")]:
        recorded = world.post("yardman", path, {"kind": kind, "location": location})
        assert recorded.status_code == 201, recorded.text
    bad = world.post("yardman", "/api/v1/containers/CSQU3054384/moves", {"kind": "fly"})
    assert bad.status_code == 422 and codes(bad) == ["container_check_digit", "unknown_move_kind"]
    ledger = world.get("officer", path).json()["items"]
    assert [(m["kind"], m["location"]) for m in ledger] == [
        ("unload", "G-01"),
        ("store", "stack-A3"),
        ("load", "G-02"),
    ]
    assert world.get("exporter", path).status_code == 403


def test_a_plate_reader_reports_gate_in_with_its_own_key(world: World) -> None:
    issued = world.post(
        "admin",
        "/api/v1/api-keys",
        {"name": "lpr-gate-in-1", "role": "yard_operator", "resource_id": "gate-in-1"},
    ).json()
    camera = {"X-API-Key": issued["key"]}
    visit = pre_advised(world, declared(world, furniture_payload()))
    entered = world.client.post("/api/v1/gate/in", json={"plate": PLATE}, headers=camera)
    assert entered.status_code == 200, entered.text
    wrong_gate = world.client.post("/api/v1/gate/out", json={"plate": PLATE}, headers=camera)
    assert wrong_gate.status_code == 403
    trail = world.get("auditor", "/api/v1/audit", params={"entity_id": visit["id"]}).json()
    assert any(e["actor"] == "key:lpr-gate-in-1" for e in trail["items"])
