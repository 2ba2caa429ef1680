"""Goods refused or withdrawn inside the yard go back inland (退关), on SQLite and PostgreSQL:
the exit gate lets the truck out once nothing but the refusal itself holds it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from goods import furniture_payload, lithium_ion_payload, primary_lithium_payload
from landport.adapters.db import tables as t
from landport.adapters.db.yard_tables import parking_occupancy
from world import World
from yard_world import PLATE, arm_seal, codes, declared, make_world, pre_advised, world

__all__ = ["make_world", "world"]  # fixtures used by the tests below


def at_the_scan_lane(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A red-lane truck through the gate and dispatched to a scan lane."""
    declaration = declared(w, primary_lithium_payload(), status="examination")
    visit = pre_advised(w, declaration)
    assert w.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    sent = w.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch")
    assert sent.status_code == 200 and sent.json()["status"] == "at_lane", sent.text
    return declaration, visit


def gate_out(w: World) -> Any:
    return w.post("yardman", "/api/v1/gate/out", {"plate": PLATE})


def test_a_rejected_truck_leaves_back_inland_once_its_fees_are_paid(world: World) -> None:
    declaration, visit = at_the_scan_lane(world)
    path = f"/api/v1/visits/{visit['id']}"
    rejected = world.post(
        "officer", f"/api/v1/declarations/{declaration['id']}/reject", {"reason": "undeclared"}
    )
    assert rejected.status_code == 200, rejected.text
    held = world.get("yardman", path).json()
    assert held["status"] == "at_lane"
    assert [h["placed_by"] for h in held["holds"] if h["lifted_at"] is None] == [
        "customs-clearance"
    ]
    unpaid = gate_out(world)
    assert unpaid.status_code == 409, unpaid.text
    assert codes(unpaid) == ["fees_unpaid"]  # the refusal's own hold does not stop the return
    assert world.get("yardman", path).json()["status"] == "at_lane"  # refused: nothing changed
    assert world.post("yardman", f"{path}/fees-paid").status_code == 200
    left = gate_out(world)
    assert left.status_code == 200, left.text
    out = left.json()
    assert out["status"] == "shut_out" and out["status_zh"] == "退关离场"
    assert [s["status"] for s in out["steps"]][-2:] == ["at_lane", "shut_out"]
    (hold,) = out["holds"]
    assert hold["lifted_by"] == "customs-clearance" and "rejected" in hold["lift_note"]
    # it is gone: not inside, on the day's exits, and its lane is free for the next truck
    assert world.post("yardman", "/api/v1/gate/out", {"plate": PLATE}).status_code == 404
    current = world.get("yardman", "/api/v1/visits?current=true").json()["items"]
    assert [(v["id"], v["status"]) for v in current] == [(visit["id"], "shut_out")]
    trail = world.get("auditor", "/api/v1/audit", params={"entity_id": visit["id"]}).json()
    assert "visit.shut_out" in {e["action"] for e in trail["items"]}


def test_goods_seized_after_the_refusal_keep_the_truck(world: World) -> None:
    declaration, visit = at_the_scan_lane(world)
    path = f"/api/v1/visits/{visit['id']}"
    decided = world.post(
        "officer", f"/api/v1/declarations/{declaration['id']}/reject", {"reason": "smuggling"}
    )
    assert decided.status_code == 200
    seized = world.post("officer", f"{path}/holds", {"kind": "customs", "reason": "goods seized"})
    assert seized.status_code == 201, seized.text
    assert world.post("yardman", f"{path}/fees-paid").status_code == 200
    refused = gate_out(world)
    assert refused.status_code == 409 and codes(refused) == ["customs_hold"]
    assert "goods seized" in refused.json()["errors"][0]["message_en"]
    assert world.get("yardman", path).json()["status"] == "at_lane"


def test_a_declaration_withdrawn_while_the_truck_waits_sends_it_back(world: World) -> None:
    declaration = declared(world, lithium_ion_payload(), status="document_check")
    visit = pre_advised(world, declaration)
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    cancelled = world.post(
        "exporter", f"/api/v1/declarations/{declaration['id']}/cancel", {"reason": "order lost"}
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert world.post("yardman", f"/api/v1/visits/{visit['id']}/fees-paid").status_code == 200
    left = gate_out(world).json()
    assert left["status"] == "shut_out" and left["steps"][-2]["status"] == "gated_in"
    assert "cancelled" in left["steps"][-1]["reason"]


def the_trip(w: World) -> dict[str, Any]:
    (trip,) = w.get("officer", "/api/v1/trips?active=true").json()["items"]
    return dict(trip)


def sealed_in_the_yard(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A green-lane truck inside the yard with its e-lock armed."""
    declaration = declared(w, furniture_payload())
    visit = pre_advised(w, declaration)
    assert w.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    assert w.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch").status_code == 200
    arm_seal(w, declaration["id"])
    return declaration, visit


def test_goods_refused_after_sealing_leave_inland_once_customs_takes_the_e_lock_off(
    world: World,
) -> None:
    declaration, visit = sealed_in_the_yard(world)
    decisions = f"/api/v1/declarations/{declaration['id']}"
    held = world.post("officer", f"{decisions}/hold", {"reason": "tip-off"})
    assert held.status_code == 200, held.text
    refused = world.post("officer", f"{decisions}/reject", {"reason": "tip-off confirmed"})
    assert refused.json()["status"] == "rejected"
    assert world.post("yardman", f"/api/v1/visits/{visit['id']}/fees-paid").status_code == 200
    blocked = gate_out(world)
    assert blocked.status_code == 409 and codes(blocked) == ["e_lock_still_armed"]
    assert blocked.json()["errors"][0]["message_zh"].startswith("货物仍施有电子关锁")
    assert world.get("yardman", f"/api/v1/visits/{visit['id']}").json()["status"] == "sealed"

    trip = the_trip(world)
    unseal = f"/api/v1/trips/{trip['id']}/unseal"
    assert world.post("yardman", unseal, {"reason": "x"}).status_code == 403
    assert world.post("exporter", unseal, {"reason": "x"}).status_code == 403
    assert world.post("officer", unseal, {"reason": " "}).status_code == 422  # a reason, always
    done = world.post("officer", unseal, {"reason": "goods refused"})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "unsealed" and done.json()["closed_at"]
    (lock,) = world.get("officer", "/api/v1/seals").json()["items"]
    assert lock["state"] == "disarmed"
    assert world.post("officer", unseal, {"reason": "again"}).status_code == 409
    left = gate_out(world)
    assert left.status_code == 200, left.text
    assert [s["status"] for s in left.json()["steps"]][-2:] == ["sealed", "shut_out"]
    trail = world.get("auditor", "/api/v1/audit", params={"entity_id": trip["id"]}).json()
    assert "trip.unsealed" in {e["action"] for e in trail["items"]}


def test_a_faulty_lock_is_replaced_in_the_yard_and_the_truck_leaves_on_the_new_one(
    world: World,
) -> None:
    declaration, visit = sealed_in_the_yard(world)
    path = f"/api/v1/visits/{visit['id']}"
    assert world.post("yardman", f"{path}/parking").json()["status"] == "departure_scheduled"
    first = the_trip(world)
    planned = world.get("officer", f"/api/v1/trips/{first['id']}").json()["departs_at"]
    assert planned is not None
    done = world.post("officer", f"/api/v1/trips/{first['id']}/unseal", {"reason": "no fix"})
    assert done.status_code == 200, done.text
    assert world.get("officer", "/api/v1/trips?active=true").json()["total"] == 0
    arm_seal(world, declaration["id"], seal_id="EL-0043")  # the released goods, a new lock
    second = the_trip(world)
    assert second["seal_id"] == "EL-0043" and second["id"] != first["id"]
    renewed = world.get("officer", f"/api/v1/trips/{second['id']}").json()
    assert renewed["departs_at"] == planned  # the planned departure carries over
    assert world.post("yardman", f"{path}/fees-paid").status_code == 200
    assert gate_out(world).json()["status"] == "on_trip"


def test_an_e_lock_comes_off_at_the_border_once_the_truck_has_left(world: World) -> None:
    _, visit = sealed_in_the_yard(world)
    path = f"/api/v1/visits/{visit['id']}"
    assert world.post("yardman", f"{path}/parking").status_code == 200
    assert world.post("yardman", f"{path}/fees-paid").status_code == 200
    assert gate_out(world).json()["status"] == "on_trip"
    trip = the_trip(world)
    late = world.post("officer", f"/api/v1/trips/{trip['id']}/unseal", {"reason": "too late"})
    assert late.status_code == 409 and "border" in late.json()["message_en"]
    assert the_trip(world)["state"] == "in_yard"  # nothing changed


def test_the_border_reads_an_unsealed_trip_as_ended_and_decides_nothing(world: World) -> None:
    _, visit = sealed_in_the_yard(world)
    trip = the_trip(world)
    assert world.post("officer", f"/api/v1/trips/{trip['id']}/unseal", {"reason": "x"}).is_success
    world.add_user("dawa", "border_officer", port="gyirong-port")
    seen = world.get("dawa", "/api/v1/border/verify", params={"trip": trip["id"]})
    assert seen.status_code == 200, seen.text
    assert seen.json()["verdict"] != "pass"
    assert "场内撤封" in seen.text
    by_seal = world.get("dawa", "/api/v1/border/verify", params={"seal": trip["seal_id"]})
    assert by_seal.status_code == 200, by_seal.text
    referred = world.post(
        "dawa", f"/api/v1/border/trips/{trip['id']}/refer", {"reason": "no lock", "plate": PLATE}
    )
    assert referred.status_code == 409 and "unsealed" in referred.json()["message_en"]
    assert world.get("officer", f"/api/v1/trips/{trip['id']}").json()["state"] == "unsealed"
    assert world.get("yardman", f"/api/v1/visits/{visit['id']}").json()["status"] == "sealed"


def test_refused_parked_goods_give_back_their_border_day(world: World) -> None:
    declaration, visit = sealed_in_the_yard(world)
    path = f"/api/v1/visits/{visit['id']}"
    assert world.post("yardman", f"{path}/parking").json()["status"] == "departure_scheduled"
    assert world.get("yardman", path).json()["departure"] is not None
    decisions = f"/api/v1/declarations/{declaration['id']}"
    assert world.post("officer", f"{decisions}/hold", {"reason": "tip-off"}).is_success
    assert world.post("officer", f"{decisions}/reject", {"reason": "confirmed"}).is_success
    trip = the_trip(world)
    assert world.post("officer", f"/api/v1/trips/{trip['id']}/unseal", {"reason": "x"}).is_success
    assert world.post("yardman", f"{path}/fees-paid").is_success
    left = gate_out(world).json()
    assert left["status"] == "shut_out" and left["departure"] is None
    with world.services.engine.connect() as db:  # the slot it parked in is free again
        taken = db.scalar(select(func.count()).where(parking_occupancy.c.visit_id == visit["id"]))
    assert left["slot"]["slot_id"] and taken == 0


def test_a_lock_that_reported_leaving_from_inside_the_fence_still_comes_off(
    world: World,
) -> None:
    _, visit = sealed_in_the_yard(world)
    trip = the_trip(world)
    with world.services.engine.begin() as db:  # the lock's fix at the fence said: departed
        db.execute(update(t.trips).where(t.trips.c.id == trip["id"]).values(state="departed"))
    done = world.post("officer", f"/api/v1/trips/{trip['id']}/unseal", {"reason": "refused"})
    assert done.status_code == 200, done.text
    assert world.get("yardman", f"/api/v1/visits/{visit['id']}").json()["status"] == "sealed"


def test_a_truck_whose_declaration_was_withdrawn_before_it_came_is_not_admitted(
    world: World,
) -> None:
    declaration = declared(world, lithium_ion_payload(), status="document_check")
    visit = pre_advised(world, declaration)
    withdrawn = world.post(
        "exporter", f"/api/v1/declarations/{declaration['id']}/cancel", {"reason": "order lost"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    refused = world.post("yardman", "/api/v1/gate/in", {"plate": PLATE})
    assert refused.status_code == 422 and codes(refused) == ["declaration_stopped"]
    assert "不予入闸" in refused.json()["errors"][0]["message_zh"]
    assert world.get("yardman", f"/api/v1/visits/{visit['id']}").json()["status"] == "pre_advised"
    trail = world.get("auditor", "/api/v1/audit", params={"entity_id": visit["id"]}).json()
    assert "visit.gated_in" not in {e["action"] for e in trail["items"]}
