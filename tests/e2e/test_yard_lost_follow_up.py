"""A customs decision whose follow-up was lost, on SQLite and PostgreSQL: the yard follows
customs after the officer's commit, through bus subscribers; a process that dies between the
two leaves the visit behind, and the exit gate catches it up before judging the truck."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from landport import bootstrap
from landport.declarations.commands import DecideDeclaration
from landport.declarations.events import DeclarationStatusChanged
from landport.enterprises.model import Actor, Role
from landport.messagebus import MessageBus
from world import World
from yard_world import PLATE, make_world, parked_truck, world

__all__ = ["make_world", "world"]  # fixtures used by the tests below

OFFICER = Actor("officer", Role.CUSTOMS_OFFICER)


def dying_after_commit(w: World) -> MessageBus:
    """The bus of a process killed right after each commit: no subscriber ever runs."""
    return MessageBus(w.services.uow_factory, w.services.bus.context, bootstrap.HANDLERS)


def active_holds(w: World, visit_id: str) -> list[tuple[str, str]]:
    visit = w.get("yardman", f"/api/v1/visits/{visit_id}").json()
    return [(h["kind"], h["placed_by"]) for h in visit["holds"] if h["lifted_at"] is None]


def test_a_lifted_customs_hold_whose_follow_up_was_lost_does_not_keep_the_truck(
    world: World,
) -> None:
    visit_id = parked_truck(world, PLATE, "EL-0042")["visit_id"]
    assert world.post("yardman", f"/api/v1/visits/{visit_id}/fees-paid").status_code == 200
    declaration_id = world.get("yardman", f"/api/v1/visits/{visit_id}").json()["declaration_id"]
    held = world.post("officer", f"/api/v1/declarations/{declaration_id}/hold", {"reason": "ask"})
    assert held.status_code == 200, held.text
    assert active_holds(world, visit_id) == [("customs", "customs-clearance")]

    lifted = dying_after_commit(world).handle(
        DecideDeclaration(OFFICER, declaration_id, "lift_hold", "papers ok")
    )
    assert lifted.result.status.value == "released"
    assert active_holds(world, visit_id) == [("customs", "customs-clearance")]  # left behind

    left = world.post("yardman", "/api/v1/gate/out", {"plate": PLATE})
    assert left.status_code == 200, left.text
    out = left.json()
    assert out["status"] == "on_trip"
    (hold,) = out["holds"]
    assert hold["lifted_by"] == "customs-clearance"
    assert hold["lift_note"] == "declaration no longer held"
    trail = world.get("auditor", "/api/v1/audit", params={"entity_id": visit_id}).json()
    actions = [(e["actor"], e["action"]) for e in trail["items"]]
    assert ("customs-clearance", "visit.customs_hold_lifted") in actions
    assert ("yardman", "visit.gated_out") in actions


def test_a_subscriber_failing_after_the_commit_does_not_turn_the_decision_into_an_error(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The decision is committed when a subscriber fails (the database went away, say): the
    officer is answered with it, not a 500 inviting a second decision, the other subscribers
    still run, and the failure is logged."""
    visit_id = parked_truck(world, PLATE, "EL-0042")["visit_id"]
    declaration_id = world.get("yardman", f"/api/v1/visits/{visit_id}").json()["declaration_id"]

    def database_gone(event: object) -> None:
        raise OperationalError("UPDATE ...", {}, Exception("server closed the connection"))

    world.services.bus._subscribers[DeclarationStatusChanged].insert(0, database_gone)
    with caplog.at_level(logging.ERROR, logger="landport.messagebus"):
        held = world.post("officer", f"/api/v1/declarations/{declaration_id}/hold",
                          {"reason": "ask"})  # fmt: skip
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "held"
    assert active_holds(world, visit_id) == [("customs", "customs-clearance")]  # followed
    assert "database_gone" in caplog.text and "server closed the connection" in caplog.text
