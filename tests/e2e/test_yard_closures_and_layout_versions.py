"""Port closures and yard layouts live in the database: every process sees a change at its
next command, without a restart, on both engines.

The clock stands at 10:00 Beijing on Monday 2 March 2026; Gyirong is 48 hours away, so a
truck sealed now is due there on Wednesday 4 March.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import event

from armed import OFFICER
from goods import furniture_payload
from landport.adapters.reference_files import YardFiles
from landport.seals.calendar import BEIJING
from landport.seals.commands import ArmSeal
from landport.shared.clock import FixedClock
from landport.yard.commands import AddPortClosure
from tracks import T0
from world import World, make_services
from yard_world import YARDMAN, MakeWorld, declared, make_world, parked_truck, world

__all__ = ["make_world", "world"]  # the fixtures the tests below use

CLOSED_WEDNESDAY = {
    "port_id": "gyirong-port",
    "from": "2026-03-04",
    "to": "2026-03-04",
    "reason": "landslide on the G216",
}


def last_day(trip: dict[str, Any]) -> str:
    """The Beijing day the arrival window closes: the day after the expected arrival (plus
    slack), so it moves when the expected arrival day closes."""
    return datetime.fromisoformat(trip["window_end"]).astimezone(BEIJING).date().isoformat()


def armed(w: World, plate: str, seal_id: str) -> dict[str, Any]:
    declaration = declared(w, furniture_payload(vehicle_plate=plate))
    seal = {"seal_id": seal_id, "vendor": "generic", "protocol": "json-mqtt", "secret": "k" * 20}
    assert w.post("officer", "/api/v1/seals", seal).status_code == 201
    body = {"seal_id": seal_id, "declaration_id": declaration["id"], "route_id": "shigatse-gyirong"}
    trip = w.post("officer", "/api/v1/trips", body)
    assert trip.status_code == 201, trip.text
    answer: dict[str, Any] = trip.json()
    return answer


def test_a_closure_added_through_the_api_moves_the_next_arrival_window_at_once(
    world: World,
) -> None:
    w = world
    before = armed(w, "藏D40001", "EL-0401")
    assert last_day(before) == "2026-03-05"
    closed = w.post("yardman", "/api/v1/yard/port-closures", CLOSED_WEDNESDAY)
    assert closed.status_code == 201, closed.text
    after = armed(w, "藏D40002", "EL-0402")
    assert last_day(after) == "2026-03-06"
    listed = w.get("border", "/api/v1/yard/port-closures").json()
    assert listed["items"] == [CLOSED_WEDNESDAY]


def test_no_seal_is_armed_for_a_border_closed_for_weeks_from_the_arrival_day(
    world: World,
) -> None:
    """Open today, but closed for two months from Wednesday, the day the truck would arrive:
    a seal armed now could only make the truck overdue on the road, so it is refused naming
    the closure; nothing is stored."""
    w = world
    long = {**CLOSED_WEDNESDAY, "to": "2026-04-30", "reason": "bridge washed away"}
    assert w.post("yardman", "/api/v1/yard/port-closures", long).status_code == 201
    declaration = declared(w, furniture_payload(vehicle_plate="藏D40005"))
    seal = {"seal_id": "EL-0405", "vendor": "generic", "protocol": "json-mqtt", "secret": "k" * 20}
    assert w.post("officer", "/api/v1/seals", seal).status_code == 201
    body = {
        "seal_id": "EL-0405",
        "declaration_id": declaration["id"],
        "route_id": "shigatse-gyirong",
    }
    refused = w.post("officer", "/api/v1/trips", body)
    assert refused.status_code == 409, refused.text
    assert "until 2026-04-30" in refused.json()["message_en"]
    assert "bridge washed away" in refused.json()["message_zh"]
    assert w.get("officer", "/api/v1/trips").json()["total"] == 0


def test_a_closure_kept_by_another_process_reaches_this_ones_departure_planning(
    make_world: MakeWorld, database_url: str
) -> None:
    w = make_world()
    other = make_services(database_url, clock=FixedClock(T0))
    try:
        other.bus.handle(
            AddPortClosure(YARDMAN, "gyirong-port", date(2026, 3, 4), date(2026, 3, 4), "snow")
        )
        calendar = w.services.bus.context.calendars_in()["gyirong-port"]
        assert calendar.closure_on(date(2026, 3, 4)) is not None
    finally:
        other.dispose()
    plan = parked_truck(w, "藏D40003", "EL-0403")["departure"]
    arrives = datetime.fromisoformat(plan["expected_arrival_beijing"]).astimezone(BEIJING)
    assert arrives.date().isoformat() == "2026-03-05"


def test_a_bad_closure_keeps_nothing_in_the_database(world: World) -> None:
    w = world
    body = {**CLOSED_WEDNESDAY, "from": "2026-03-06"}
    refused = w.post("yardman", "/api/v1/yard/port-closures", body)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["to"]
    century = w.post(
        "yardman", "/api/v1/yard/port-closures", {**CLOSED_WEDNESDAY, "to": "2126-12-07"}
    )
    assert century.status_code == 422, century.text  # past the days the platform keeps
    assert [e["code"] for e in century.json()["errors"]] == ["date_out_of_range"]
    assert w.get("yardman", "/api/v1/yard/port-closures").json()["total"] == 0
    assert last_day(armed(w, "藏D40004", "EL-0404")) == "2026-03-05"


def test_each_layout_change_is_a_new_version_seen_by_every_process(
    make_world: MakeWorld, database_url: str
) -> None:
    operator_copy = YardFiles(None).layout_document()
    operator_copy["departures"]["daily_truck_capacity"]["gyirong-port"] = 7
    w = make_world(operator_copy)
    first = w.get("officer", "/api/v1/yard/layout").json()
    assert first["source"] == "operator" and first["version"] is None
    document = first["layout"]
    for minutes, reason in ((4, "new detector"), (5, None)):
        document["scan_lanes"][0]["service_minutes"] = minutes
        params = {"reason": reason} if reason else {}
        kept = w.client.put(
            "/api/v1/yard/layout", json=document, params=params, headers=w.headers("admin")
        )
        assert kept.status_code == 200, kept.text
    versions = w.get("auditor", "/api/v1/yard/layout/versions").json()
    assert [(v["number"], v["changed_by"], v["reason"]) for v in versions["items"]] == [
        (2, "admin", None),
        (1, "admin", "new detector"),
    ]
    other = make_services(database_url, clock=FixedClock(T0))
    try:
        seen = YardFiles(None, other.read_engine).layout()
        assert seen.scan_lanes[0].service_minutes == 5
        assert seen.departures.daily_truck_capacity["gyirong-port"] == 7
    finally:
        other.dispose()
    trail = w.get("auditor", "/api/v1/audit", params={"entity_id": "shigatse-land-port"}).json()
    changes = [(e["action"], e["actor"], e["detail"]) for e in trail["items"]]
    assert changes[0] == ("yard.layout_changed", "admin", "new detector") and len(changes) == 2


@pytest.mark.parametrize("field", ["scan_lanes", "parking_zones"])
def test_a_broken_layout_keeps_no_version(world: World, field: str) -> None:
    w = world
    document = w.get("officer", "/api/v1/yard/layout").json()["layout"]
    document[field][0]["id"] = ""
    refused = w.client.put("/api/v1/yard/layout", json=document, headers=w.headers("admin"))
    assert refused.status_code == 422
    assert all(e["field"].startswith(f"{field}[0]") for e in refused.json()["errors"])
    assert w.get("officer", "/api/v1/yard/layout/versions").json()["total"] == 0
    assert w.get("officer", "/api/v1/yard/layout").json()["source"] == "packaged"


def test_arming_a_seal_reads_the_closures_in_its_own_transaction(world: World) -> None:
    """A command holding a connection never asks the pool for a second one (on PostgreSQL a
    full pool would starve): the closures are read on the command's connection."""
    w = world
    assert w.post("yardman", "/api/v1/yard/port-closures", CLOSED_WEDNESDAY).status_code == 201
    declaration = declared(w, furniture_payload(vehicle_plate="藏D40005"))
    seal = {"seal_id": "EL-0405", "vendor": "generic", "protocol": "json-mqtt", "secret": "k" * 20}
    assert w.post("officer", "/api/v1/seals", seal).status_code == 201
    engines = {w.services.engine, w.services.read_engine}
    held = [0, 0]  # connections out of the pools now, and the most at once

    def out(*_: object) -> None:
        held[0] += 1
        held[1] = max(held)

    def back(*_: object) -> None:
        held[0] -= 1

    for engine in engines:
        event.listen(engine, "checkout", out)
        event.listen(engine, "checkin", back)
    try:
        command = ArmSeal(OFFICER, "EL-0405", declaration["id"], "shigatse-gyirong")
        trip = w.services.bus.handle(command).result
    finally:
        for engine in engines:
            event.remove(engine, "checkout", out)
            event.remove(engine, "checkin", back)
    assert trip.window_end.astimezone(BEIJING).date() == date(2026, 3, 6)  # closure seen
    assert held == [0, 1]
