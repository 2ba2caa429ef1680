"""The big screen's "expected" and "in the yard" follow the trucks through the gate, on both
engines: a declared truck is expected, not in the yard, until it passes the gate; a sealed
truck is counted once; a truck sealed without a gate record is still in the yard; leaving
the gate puts it in transit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from goods import furniture_payload
from landport.adapters.live_events import LiveEventHub
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.shared.clock import FixedClock
from tracks import T0, Stop, build_track, shipped_corridors
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
    listed = w.get("officer", "/api/v1/screen/trips").json()["items"]
    left = {t["vehicle_plate"]: (t["state"], t["gated_out"]) for t in listed}
    assert left["藏D40002"] == ("in_yard", True)  # the list says it has left the gate
    assert left["藏D40001"] == ("in_yard", False)


def test_a_truck_whose_e_lock_left_before_the_gate_out_is_counted_once(world: World) -> None:
    """The e-lock reports the truck out of the yard before the clerk records the gate-out:
    it is in transit, not also still in the yard."""
    w = world
    parked_truck(w, "藏D40011", "EL-4011")
    assert where(w) == (0, 1, 0)
    clock = w.services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=1))
    road = shipped_corridors()["shigatse-gyirong"]
    track = build_track(road, seal_id="EL-4011", start=T0, end_km=15.0, interval_s=120)
    TelemetryIngestor(w.services.engine, clock).ingest_fixes(track.fixes)
    trips = w.get("officer", "/api/v1/trips?active=true").json()["items"]
    assert [t["state"] for t in trips] == ["en_route"]
    assert where(w) == (0, 0, 1)


def test_the_gate_tells_the_screens_owned_by_the_trucks_enterprise(world: World) -> None:
    """Gate-in moves a truck from "declared, not yet in" to "in the yard": the screen hears
    it at once (`visit.changed`), and only the truck's own declarant among declarants."""
    w = world
    hub: LiveEventHub = w.client.app.state.live_events  # type: ignore[attr-defined]
    declaration = declared(w, furniture_payload(vehicle_plate="藏D40021"))
    visit = pre_advised(w, declaration, "藏D40021")
    before = hub.published
    assert w.post("yardman", "/api/v1/gate/in", {"plate": "藏D40021"}).status_code == 200
    n = hub.published - before
    told = [e for e in (list(hub._recent)[-n:] if n else []) if e.type == "visit.changed"]
    assert [(e.data["visit_id"], e.data["status"]) for e in told] == [(visit["id"], "gated_in")]
    assert told[0].data["declaration_id"] == declaration["id"]
    assert told[0].enterprise_uscc == declaration["enterprise_uscc"]
    published = hub.published
    refused = w.post("yardman", "/api/v1/gate/in", {"plate": "藏D40021"})  # already inside
    assert refused.status_code != 200
    assert hub.published == published  # nothing changed, nothing told


def test_a_truck_whose_goods_exited_without_a_gate_out_record_is_not_in_the_yard(
    world: World,
) -> None:
    """The clerk never recorded the gate-out, and the goods have since exited at the border:
    the truck is not in the yard for ever after."""
    w = world
    parked_truck(w, "藏D40031", "EL-4031")
    assert where(w) == (0, 1, 0)
    with w.services.engine.begin() as conn:  # as the border release leaves them
        conn.execute(text("UPDATE trips SET active = false, state = 'exited'"))
        conn.execute(text("UPDATE declarations SET status = 'exited'"))
    assert where(w) == (0, 0, 0)


def test_the_map_says_which_rest_stop_a_truck_stands_at_and_whether_it_rests_there(
    world: World,
) -> None:
    """At night most trucks sleep at a rest stop of their corridor: the list names it, and
    tells a truck resting there (two hours standing) from one just arriving; a truck on the
    open road has no zone."""
    w = world
    road = shipped_corridors()["shigatse-gyirong"]
    lon, lat = road.zone("lhatse").center or (0.0, 0.0)
    lhatse_km = float(road.chainage_m([lon], [lat])[0]) / 1000.0
    rest = [Stop(at_km=lhatse_km, minutes=120)]
    for plate, seal, end_km, stops in (
        ("藏D40021", "EL-4021", lhatse_km, []),
        ("藏D40022", "EL-4022", 60.0, []),
        ("藏D40023", "EL-4023", lhatse_km + 0.2, rest),
    ):
        parked_truck(w, plate, seal)
        track = build_track(
            road, seal_id=seal, start=T0, end_km=end_km, interval_s=120, stops=stops
        )
        clock = w.services.clock
        assert isinstance(clock, FixedClock)
        clock.advance(max(timedelta(0), track.end - clock.now()) + timedelta(minutes=5))
        TelemetryIngestor(w.services.engine, clock).ingest_fixes(track.fixes)
    listed = w.get("officer", "/api/v1/screen/trips").json()["items"]
    by_plate = {t["vehicle_plate"]: t for t in listed}
    arriving, resting = by_plate["藏D40021"], by_plate["藏D40023"]
    since = arriving["zone"].pop("since")
    assert arriving["zone"] == {
        "id": "lhatse",
        "kind": "rest_stop",
        "name_en": "Lhatse",
        "name_zh": "拉孜",
        "stopping_place": True,
        "resting": False,  # it has only just reached the town
    }
    last_fix = datetime.fromisoformat(arriving["fix_time"])
    assert last_fix - timedelta(minutes=20) < datetime.fromisoformat(since) <= last_fix
    assert resting["zone"]["id"] == "lhatse" and resting["zone"]["resting"] is True
    stood = datetime.fromisoformat(resting["fix_time"]) - datetime.fromisoformat(
        resting["zone"]["since"]
    )
    assert timedelta(minutes=100) <= stood <= timedelta(minutes=140)  # the two hours it stood
    assert by_plate["藏D40022"]["zone"] is None  # at km 60, between towns
