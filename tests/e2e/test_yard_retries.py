"""A gate or a console that lost the answer sends the same request again with its
Idempotency-Key: the command acts once, and the retry gets the visit as it stands."""

from __future__ import annotations

from goods import furniture_payload
from world import World
from yard_world import PLATE, declared, make_world, parked_truck, pre_advised, world

__all__ = ["make_world", "world"]  # fixtures used by the tests below


def ready_to_leave(w: World) -> str:
    """A parked truck with its fees paid; its visit id."""
    parked = parked_truck(w, PLATE, "EL-0042")
    visit_id = str(parked["visit_id"])
    assert w.post("yardman", f"/api/v1/visits/{visit_id}/fees-paid").status_code == 200
    return visit_id


def actions(w: World, visit_id: str) -> list[str]:
    trail = w.get("auditor", "/api/v1/audit", params={"entity_id": visit_id}).json()
    return [e["action"] for e in trail["items"]]


def test_a_gate_out_retried_after_a_lost_answer_lets_the_truck_out_once(world: World) -> None:
    visit_id = ready_to_leave(world)
    key = {"Idempotency-Key": "exit-gate-1/20260302-100012"}
    first = world.post("yardman", "/api/v1/gate/out", {"plate": PLATE}, headers=key)
    assert first.status_code == 200, first.text
    audited = actions(world, visit_id)

    again = world.post("yardman", "/api/v1/gate/out", {"plate": PLATE}, headers=key)

    assert again.status_code == 200, again.text
    assert again.json()["id"] == visit_id and again.json()["status"] == "on_trip"
    assert actions(world, visit_id) == audited  # nothing acted a second time
    # Without its key, the same request is a new gate-out of a truck no longer inside.
    assert world.post("yardman", "/api/v1/gate/out", {"plate": PLATE}).status_code == 404
    # The key is the request's: used for another plate, it is refused, naming the header.
    other = world.post("yardman", "/api/v1/gate/out", {"plate": "藏D99999"}, headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in other.text


def test_a_hold_placed_twice_with_one_key_is_one_hold(world: World) -> None:
    declaration = declared(world, furniture_payload())
    visit = pre_advised(world, declaration)
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    body = {"kind": "yard", "reason": "wheel chock missing"}
    key = {"Idempotency-Key": "console-7f3a"}
    path = f"/api/v1/visits/{visit['id']}/holds"

    answers = [world.post("yardman", path, body, headers=key) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 201]
    holds = [h for h in answers[-1].json()["holds"] if h["active"]]
    assert len(holds) == 1
    # Another operator's key of the same text is his own request.
    world.add_user("yardman2", "yard_operator")
    other = world.post("yardman2", path, body, headers=key)
    assert other.status_code == 201
    assert len([h for h in other.json()["holds"] if h["active"]]) == 2


def test_a_gate_in_retried_with_its_key_is_one_entry(world: World) -> None:
    declaration = declared(world, furniture_payload())
    visit = pre_advised(world, declaration)
    key = {"Idempotency-Key": "entry-gate-1/20260302-090001"}
    first = world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}, headers=key)
    again = world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}, headers=key)
    assert (first.status_code, again.status_code) == (200, 200)
    steps = [s["status"] for s in again.json()["steps"]]
    assert steps.count("gated_in") == 1 and again.json()["id"] == visit["id"]
    named = {"plate": PLATE, "declaration_id": declaration["id"]}  # another request: refused
    other = world.post("yardman", "/api/v1/gate/in", named, headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in other.text
