"""A truck through the yard over HTTP, on SQLite and PostgreSQL: pre-advice to gate-out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, update

from goods import furniture_payload, lithium_ion_payload
from landport.adapters.db.yard_queries import list_visits
from landport.adapters.db.yard_tables import truck_visits, visit_steps
from landport.adapters.reference_files import YardFiles
from landport.shared.errors import Conflict
from landport.yard.commands import AssignParking
from world import OTHER_USCC, World
from yard_world import (
    PLATE,
    YARDMAN,
    MakeWorld,
    arm_seal,
    codes,
    declared,
    make_world,
    move,
    pre_advised,
    world,
)

CONTAINER = "CSQU3054383"
__all__ = ["make_world", "world"]  # fixtures used by the tests below


def ready_to_leave(w: World) -> dict[str, Any]:
    """A green-lane truck, dispatched, sealed, parked (departure planned) and fees paid."""
    declaration = declared(w, furniture_payload())
    visit = pre_advised(w, declaration)
    assert w.post("yardman", "/api/v1/gate/in", {"plate": "藏D 12345"}).status_code == 200
    sent = w.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "decided" and sent.json()["dispatch"]["station"] is None
    arm_seal(w, declaration["id"])  # the visit follows the armed e-lock by itself
    assert w.get("yardman", f"/api/v1/visits/{visit['id']}").json()["status"] == "sealed"
    parked = w.post("yardman", f"/api/v1/visits/{visit['id']}/parking")
    assert parked.status_code == 200, parked.text
    assert parked.json()["status"] == "departure_scheduled"
    assert w.post("yardman", f"/api/v1/visits/{visit['id']}/fees-paid").status_code == 200
    return visit


def test_a_green_lane_truck_goes_from_pre_advice_to_its_trip(world: World) -> None:
    visit = ready_to_leave(world)
    seen = world.get("exporter", f"/api/v1/visits/{visit['id']}").json()
    departure = seen["departure"]
    # Parked at 10:00 Beijing on 2 March, inside the morning window: it leaves now and
    # reaches Gyirong (564 km, typically 48 h) as the port opens at 10:00.
    assert departure["at_beijing"] == "2026-03-02T10:00:00+08:00"
    assert departure["expected_arrival_beijing"] == "2026-03-04T10:00:00+08:00"
    assert departure["port"] == "gyirong-port"  # the id; the words name the port as people do
    assert "expected at Gyirong port" in departure["driver_en"]
    assert "到达吉隆口岸" in departure["driver_zh"] and "gyirong-port" not in departure["driver_zh"]
    assert "2026-03-02 10:00" in departure["driver_zh"] and departure["reason_zh"]
    out = world.post("yardman", "/api/v1/gate/out", {"plate": PLATE})
    assert out.status_code == 200, out.text
    left = out.json()
    assert left["status"] == "on_trip" and left["slot"]["zone_kind"] == "general"
    assert [s["status"] for s in left["steps"]] == [
        "pre_advised",
        "gated_in",
        "queued",
        "decided",
        "sealed",
        "parked",
        "departure_scheduled",
        "gated_out",
        "on_trip",
    ]
    assert world.get("exporter", f"/api/v1/visits/{visit['id']}").status_code == 200
    assert world.get("competitor", f"/api/v1/visits/{visit['id']}").status_code == 404
    assert world.get("competitor", "/api/v1/visits").json()["total"] == 0
    listed = world.get("auditor", "/api/v1/visits?status=on_trip").json()
    assert [v["id"] for v in listed["items"]] == [visit["id"]]
    trail = world.get("auditor", "/api/v1/audit", params={"entity_id": visit["id"]}).json()
    actions = {e["action"] for e in trail["items"]}
    assert {"visit.sealed", "visit.departure_planned", "visit.dispatched"} <= actions


def test_a_truck_given_its_slot_before_the_seal_is_parked_once_sealed_and_can_leave(
    world: World,
) -> None:
    """A yard may park a truck while it waits for the sealing officer: arming its e-lock then
    leaves it parked on that slot, and the yard plans its departure like any other."""
    declaration = declared(world, furniture_payload())
    visit = pre_advised(world, declaration)
    path = f"/api/v1/visits/{visit['id']}"
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    assert world.post("yardman", f"{path}/dispatch").json()["status"] == "decided"
    slot = world.post("yardman", f"{path}/parking")
    assert slot.status_code == 200, slot.text
    assert slot.json()["status"] == "decided"  # not sealed yet: the slot waits for it
    arm_seal(world, declaration["id"])
    seen = world.get("yardman", path).json()
    assert seen["status"] == "parked" and seen["slot"]["slot_id"] == slot.json()["slot_id"]
    planned = world.post("yardman", "/api/v1/yard/departures/plan")
    assert planned.status_code == 200, planned.text
    assert [p["visit_id"] for p in planned.json()["planned"]] == [visit["id"]]
    assert world.post("yardman", f"{path}/fees-paid").status_code == 200
    out = world.post("yardman", "/api/v1/gate/out", {"plate": PLATE})
    assert out.status_code == 200, out.text
    trail = world.get("auditor", "/api/v1/audit", params={"entity_id": visit["id"]}).json()
    assert "visit.parked" in {e["action"] for e in trail["items"]}


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


def test_a_plate_pre_advised_by_two_enterprises_is_not_guessed_at_the_gate(world: World) -> None:
    """Anyone may write a plate on a declaration: the competitor who pre-advised the
    exporter's truck first does not get it at the gate. The gate asks which declaration the
    driver carries."""
    theirs = world.lodge(furniture_payload(consignor_uscc=OTHER_USCC), user="competitor",
                         submit=True).json()  # fmt: skip
    decoy = world.post("competitor", "/api/v1/visits",
                       {"declaration_id": theirs["id"], "plate": PLATE})  # fmt: skip
    assert decoy.status_code == 201, decoy.text
    visit = pre_advised(world, declared(world, furniture_payload()))
    guessed = world.post("yardman", "/api/v1/gate/in", {"plate": PLATE})
    assert guessed.status_code == 422 and codes(guessed) == ["ambiguous_pre_advice"]
    error = guessed.json()["errors"][0]
    assert error["field"] == "declaration_id" and visit["declaration_id"] in error["message_en"]
    assert "司机所持报关单" in error["message_zh"]
    stranger = world.post("yardman", "/api/v1/gate/in", {"plate": PLATE, "declaration_id": "x"})
    assert codes(stranger) == ["not_pre_advised_on_declaration"]
    body = {"plate": PLATE, "declaration_id": visit["declaration_id"]}
    entered = world.post("yardman", "/api/v1/gate/in", body)
    assert entered.status_code == 200, entered.text
    assert entered.json()["id"] == visit["id"] and entered.json()["status"] == "gated_in"
    assert world.get("competitor", f"/api/v1/visits/{decoy.json()['id']}").json()["status"] == (
        "pre_advised"
    )


def test_the_gate_reads_an_empty_declaration_as_none_and_a_longer_one_than_any_as_wrong(
    world: World,
) -> None:
    """The declaration field is bounded as wherever else a declaration is named (32); a
    reader that sends it empty names none."""
    visit = pre_advised(world, declared(world, furniture_payload()))
    too_long = world.post(
        "yardman", "/api/v1/gate/in", {"plate": PLATE, "declaration_id": "d" * 33}
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "declaration_id"
    entered = world.post("yardman", "/api/v1/gate/in", {"plate": PLATE, "declaration_id": ""})
    assert entered.status_code == 200, entered.text
    assert entered.json()["id"] == visit["id"] and entered.json()["status"] == "gated_in"


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


def packaged_layout() -> dict[str, Any]:
    return YardFiles(None).layout_document()


def one_dg_slot() -> dict[str, Any]:
    document = packaged_layout()
    for zone in document["parking_zones"]:
        if zone["kind"] == "dangerous_goods":
            zone["slots"] = 1
    return document


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


def test_the_visit_list_carries_each_visits_active_holds_in_one_query(world: World) -> None:
    held = ready_to_leave(world)
    other = declared(world, furniture_payload(vehicle_plate="藏D20002"))
    free = pre_advised(world, other, "藏D20002")
    path = f"/api/v1/visits/{held['id']}"
    long_reason = "manifest query: " + "the container seal number differs " * 5
    customs = world.post("officer", f"{path}/holds", {"kind": "customs", "reason": long_reason})
    assert customs.status_code == 201
    tyre = world.post("yardman", f"{path}/holds", {"kind": "yard", "reason": "tyre"})
    assert tyre.status_code == 201
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = world.services.read_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        items = list_visits(engine, YardFiles(None).layout())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if "truck_visits" in s]) == 1
    by_id = {v["id"]: v for v in items}
    assert len(items) == 2 and by_id[free["id"]]["active_holds"] == 0
    reasons = by_id[held["id"]]["hold_reasons"]
    assert by_id[held["id"]]["active_holds"] == 2
    assert [r["kind"] for r in reasons] == ["customs", "yard"]
    assert len(reasons[0]["reason"]) == 80 and reasons[0]["reason"].endswith("…")
    assert reasons[1]["en"] == "yard hold: tyre" and reasons[1]["zh"] == "堆场扣留：tyre"
    lifted = world.post("officer", f"{path}/holds/{reasons[0]['hold_id']}/lift", {"note": "ok"})
    assert lifted.status_code == 200
    listed = world.get("yardman", "/api/v1/visits").json()["items"]
    again = next(v for v in listed if v["id"] == held["id"])
    assert again["active_holds"] == 1 and again["hold_reasons"][0]["kind"] == "yard"
    assert world.get("competitor", "/api/v1/visits").json()["total"] == 0


def test_a_console_reads_what_the_yard_deals_with_not_its_whole_history(world: World) -> None:
    """`current`: the trucks inside, the last week's pre-advice and the last day's exits;
    `limit` keeps the newest; `total` still counts every visit."""
    plates = ("藏D12345", "藏D12346", "藏D12347", "藏D12348")
    visits = [
        pre_advised(world, declared(world, furniture_payload(vehicle_plate=p)), p)["id"]
        for p in plates
    ]
    archived, stale, expected, left = visits
    now = world.services.clock.now()
    history = {  # visit: (status, created_at)
        archived: ("gated_out", datetime(2025, 1, 2, tzinfo=UTC)),  # left long ago
        stale: ("pre_advised", now - timedelta(days=10)),  # a no-show's pre-advice
        expected: ("pre_advised", now),
        left: ("gated_out", now - timedelta(days=3)),  # a long stay that left an hour ago
    }
    with world.services.engine.begin() as conn:
        for visit, (status, created) in history.items():
            conn.execute(
                update(truck_visits)
                .where(truck_visits.c.id == visit)
                .values(status=status, created_at=created)
            )
        conn.execute(
            insert(visit_steps).values(
                visit_id=left, status="gated_out", at=now - timedelta(hours=1), actor="yard"
            )
        )
    newest = world.get("yardman", "/api/v1/visits?limit=2").json()
    assert newest["total"] == 4
    assert [v["id"] for v in newest["items"]] == [expected, left]
    current = world.get("yardman", "/api/v1/visits?current=true").json()
    assert {v["id"] for v in current["items"]} == {expected, left}
    assert current["total"] == 4
    assert world.get("yardman", "/api/v1/visits?limit=0").status_code == 422
    mine = world.get("exporter", "/api/v1/visits?current=true").json()
    assert {v["id"] for v in mine["items"]} == {expected, left} and mine["total"] == 4
    assert world.get("competitor", "/api/v1/visits?current=true").json() == {
        "total": 0,
        "items": [],
    }
