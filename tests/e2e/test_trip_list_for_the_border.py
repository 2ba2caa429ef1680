"""The border console's list of trucks for its port, on both engines: the server filters by
exit port and orders the trucks as the officers meet them, so on a busy day those still in
the Shigatse yard never push the ones waiting at the gate off the first page."""

from __future__ import annotations

from sqlalchemy import text

from world import World
from yard_world import make_world, parked_truck, world

__all__ = ["make_world", "world"]  # the fixtures the tests below use

LIST = "/api/v1/trips?active=true"


def test_the_trucks_at_the_gate_come_first_and_only_those_for_the_port(world: World) -> None:
    w = world
    # where the e-locks would have put each truck by now, and the port it is bound for
    placed = {
        "藏D50001": ("in_yard", "gyirong-port"),
        "藏D50002": ("at_border", "gyirong-port"),
        "藏D50003": ("en_route", "gyirong-port"),
        "藏D50004": ("at_border", "zhangmu-port"),
        "藏D50005": ("departed", "gyirong-port"),
        "藏D50006": ("verified", "gyirong-port"),
    }
    for plate in placed:
        parked_truck(w, plate, f"EL-{plate[-4:]}")
    with w.services.engine.begin() as conn:
        for plate, (state, port) in placed.items():
            conn.execute(
                text("UPDATE trips SET state = :s, exit_port = :p WHERE vehicle_plate = :v"),
                {"s": state, "p": port, "v": plate},
            )
    listed = w.get("border", f"{LIST}&exit_port=gyirong-port&order=border").json()
    assert listed["total"] == 5
    at_the_gate = {(t["vehicle_plate"], t["state"]) for t in listed["items"][:2]}
    assert at_the_gate == {("藏D50002", "at_border"), ("藏D50006", "verified")}
    assert [(t["vehicle_plate"], t["state"]) for t in listed["items"][2:]] == [
        ("藏D50003", "en_route"),
        ("藏D50005", "departed"),
        ("藏D50001", "in_yard"),
    ]
    first = w.get("border", f"{LIST}&exit_port=gyirong-port&order=border&page_size=2").json()
    assert first["total"] == 5
    assert {t["vehicle_plate"] for t in first["items"]} == {"藏D50002", "藏D50006"}
    assert w.get("officer", LIST).json()["total"] == 6  # without a port: every port's


def test_a_misspelt_port_or_order_is_refused_naming_the_field(world: World) -> None:
    for query, field in (("exit_port=gyirong", "exit_port"), ("order=nearest", "order")):
        refused = world.get("border", f"{LIST}&{query}")
        assert refused.status_code == 422, refused.text
        (error,) = refused.json()["errors"]
        assert error["field"] == field and error["code"] == f"unknown_{field}"
        assert error["message_en"] and error["message_zh"]
