"""Departures against the border calendars, closures and the layout, on both engines.

The clock stands at 10:00 Beijing on Monday 2 March 2026; Gyirong is 48 hours away and
clears 10:00-12:30 and 13:30-17:00.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from goods import furniture_payload
from landport.adapters.db.tables import audit_log
from landport.adapters.db.yard_store import SqlVisitStore
from landport.adapters.reference_files import YardFiles
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.seals.calendar import BEIJING
from landport.shared.clock import FixedClock
from landport.shared.errors import Conflict
from landport.yard.commands import AssignParking
from landport.yard.visits import VisitStatus
from tracks import T0
from world import World
from yard_world import (
    YARDMAN,
    MakeWorld,
    arm_seal,
    codes,
    declared,
    make_world,
    parked_truck,
    pre_advised,
    world,
)

__all__ = ["make_world", "world"]  # the fixture the tests below use


def layout_with_capacity(gyirong: int) -> dict[str, Any]:
    document = YardFiles(None).layout_document()
    document["departures"]["daily_truck_capacity"]["gyirong-port"] = gyirong
    return document


def beijing(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(BEIJING)


def test_a_full_border_day_spills_the_next_truck_to_the_next_day(make_world: MakeWorld) -> None:
    w = make_world(layout_with_capacity(1))
    first = parked_truck(w, "藏D30001", "EL-0301")["departure"]
    second = parked_truck(w, "藏D30002", "EL-0302")["departure"]
    assert beijing(first["expected_arrival_beijing"]).date().isoformat() == "2026-03-04"
    assert beijing(second["expected_arrival_beijing"]).date().isoformat() == "2026-03-05"
    assert "full on 1 earlier day" in second["reason_en"] and "已满" in second["reason_zh"]
    # Leaves in the morning window (06:00-12:00 Beijing) and arrives inside the hours.
    for plan in (first, second):
        leave = beijing(plan["departure_beijing"])
        arrive = beijing(plan["expected_arrival_beijing"])
        assert 6 <= leave.hour < 12 and (10, 0) <= (arrive.hour, arrive.minute) < (17, 0)
    again = w.post("yardman", "/api/v1/yard/departures/plan")
    assert again.status_code == 200 and again.json()["planned"] == []
    assert w.post("exporter", "/api/v1/yard/departures/plan").status_code == 403


def test_a_port_closure_re_plans_the_trucks_due_and_lists_them(make_world: MakeWorld) -> None:
    w = make_world()
    parked = parked_truck(w, "藏D30001", "EL-0301")
    visit_id = parked["visit_id"]
    body = {"port_id": "gyirong-port", "from": "2026-03-04", "to": "2026-03-06", "reason": "flood"}
    closed = w.post("yardman", "/api/v1/yard/port-closures", body)
    assert closed.status_code == 201, closed.text
    moved = closed.json()["replanned"]
    assert [m["visit_id"] for m in moved] == [visit_id]
    assert moved[0]["previous_departure_at"] == parked["departure"]["departure_utc"]
    assert beijing(moved[0]["expected_arrival_beijing"]).date().isoformat() == "2026-03-07"
    assert moved[0]["reason_en"].startswith("moved: gyirong-port closed 2026-03-04")
    seen = w.get("exporter", f"/api/v1/visits/{visit_id}").json()
    assert seen["departure"]["at_utc"] == moved[0]["departure_utc"]
    assert "moved" in seen["departure"]["driver_en"] or "moved" in seen["departure"]["reason_en"]
    listed = w.get("officer", "/api/v1/yard/port-closures").json()["items"]
    assert listed == [
        {"port_id": "gyirong-port", "from": "2026-03-04", "to": "2026-03-06", "reason": "flood"}
    ]
    trail = w.get("auditor", "/api/v1/audit", params={"entity_id": "gyirong-port"}).json()
    assert [e["action"] for e in trail["items"]] == ["port_calendar.closure_added"]


def test_a_bad_closure_is_refused_with_every_reason(make_world: MakeWorld) -> None:
    w = make_world()
    body = {"port_id": "kathmandu", "from": "2026-03-06", "to": "2026-03-04", "reason": " "}
    refused = w.post("yardman", "/api/v1/yard/port-closures", body)
    assert refused.status_code == 422
    assert codes(refused) == ["unknown_port", "end_before_start", "required"]
    assert [e["field"] for e in refused.json()["errors"]] == ["port_id", "to", "reason"]
    assert w.post("exporter", "/api/v1/yard/port-closures", body).status_code == 403
    assert w.get("yardman", "/api/v1/yard/port-closures").json()["total"] == 0


def test_a_manual_departure_into_a_closure_or_after_hours_is_refused(
    make_world: MakeWorld,
) -> None:
    w = make_world()
    parked = parked_truck(w, "藏D30001", "EL-0301")
    path = f"/api/v1/visits/{parked['visit_id']}"
    closure = {
        "port_id": "gyirong-port",
        "from": "2026-03-05",
        "to": "2026-03-05",
        "reason": "snow",
    }
    assert w.post("yardman", "/api/v1/yard/port-closures", closure).status_code == 201
    before = w.get("yardman", path).json()
    into_closure = w.post("yardman", f"{path}/departure", {"at": "2026-03-03T09:00:00+08:00"})
    assert into_closure.status_code == 422 and codes(into_closure) == ["port_closed"]
    assert "snow" in into_closure.json()["errors"][0]["message_en"]
    evening = w.post("yardman", f"{path}/departure", {"at": "2026-03-04T20:00:00+08:00"})
    assert codes(evening) == ["outside_departure_window", "arrives_after_hours"]
    assert w.get("yardman", path).json() == before
    fits = w.post("yardman", f"{path}/departure", {"at": "2026-03-04T09:00:00+08:00"})
    assert fits.status_code == 200, fits.text
    assert fits.json()["departure"]["at_beijing"] == "2026-03-04T09:00:00+08:00"
    assert fits.json()["departure"]["planned"] is False


def test_the_layout_is_read_by_staff_and_replaced_only_by_the_port_admin(world: World) -> None:
    w = world
    current = w.get("officer", "/api/v1/yard/layout")
    assert current.status_code == 200 and current.json()["source"] == "packaged"
    assert w.get("exporter", "/api/v1/yard/layout").status_code == 403
    document = current.json()["layout"]
    broken = json.loads(json.dumps(document))
    broken["scan_lanes"][0]["service_minutes"] = 0
    broken["parking_zones"][0]["kind"] = "helipad"
    refused = w.client.put("/api/v1/yard/layout", json=broken, headers=w.headers("admin"))
    assert refused.status_code == 422
    fields = [e["field"] for e in refused.json()["errors"]]
    assert fields == ["scan_lanes[0].service_minutes", "parking_zones[0].kind"]
    assert w.get("officer", "/api/v1/yard/layout").json()["source"] == "packaged"
    document["scan_lanes"][0]["service_minutes"] = 4
    by_yard = w.client.put("/api/v1/yard/layout", json=document, headers=w.headers("yardman"))
    assert by_yard.status_code == 403
    kept = w.client.put(
        "/api/v1/yard/layout",
        json=document,
        params={"reason": "lane 1 retuned"},
        headers=w.headers("admin"),
    )
    assert kept.status_code == 200, kept.text
    seen = w.get("yardman", "/api/v1/yard/layout").json()
    assert seen["source"] == "database" and seen["layout"]["scan_lanes"][0]["service_minutes"] == 4
    assert seen["version"]["number"] == 1 and seen["version"]["changed_by"] == "admin"
    assert seen["version"]["reason"] == "lane 1 retuned"
    trail = w.get("auditor", "/api/v1/audit", params={"entity_id": "shigatse-land-port"}).json()
    assert [e["action"] for e in trail["items"]] == ["yard.layout_changed"]


def test_two_trucks_parked_at_once_never_overfill_a_border_day(make_world: MakeWorld) -> None:
    w = make_world(layout_with_capacity(1))
    visit_ids = []
    for plate, seal in (("藏D30001", "EL-0301"), ("藏D30002", "EL-0302")):
        declaration = declared(w, furniture_payload(vehicle_plate=plate))
        visit = pre_advised(w, declaration, plate)
        assert w.post("yardman", "/api/v1/gate/in", {"plate": plate}).status_code == 200
        assert w.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch").status_code == 200
        arm_seal(w, declaration["id"], seal)
        visit_ids.append(visit["id"])

    def park(visit_id: str) -> str:
        for _attempt in range(3):  # a concurrent plan may move this visit: try again
            try:
                result = w.services.bus.handle(AssignParking(YARDMAN, visit_id)).result
                return str(result["departure"]["expected_arrival_beijing"])[:10]
            except Conflict:
                continue
        raise AssertionError("parking never succeeded")

    with ThreadPoolExecutor(max_workers=2) as pool:
        days = sorted(pool.map(park, visit_ids))
    assert days == ["2026-03-04", "2026-03-05"]


def test_a_truck_waiting_for_its_border_day_is_not_overdue_before_it_leaves(
    make_world: MakeWorld,
) -> None:
    """The arrival window counts from the departure the yard plans, then from the gate-out:
    sealed on Monday and planned for Tuesday, the truck is due at Gyirong by Friday, not by
    Thursday as a departure on Monday would have it."""
    clock = FixedClock(T0)
    w = make_world(layout_with_capacity(1), clock=clock)
    parked_truck(w, "藏D30011", "EL-0311")  # takes Wednesday's only place
    plan = parked_truck(w, "藏D30012", "EL-0312")["departure"]
    assert beijing(plan["departure_beijing"]).date().isoformat() == "2026-03-03"
    trip = trip_of_seal(w, "EL-0312")
    assert beijing(trip["window_end"]).date().isoformat() == "2026-03-06"
    actions = audit_actions(w, trip["id"])
    assert actions == ["seal.armed", "trip.window_rebased"]

    # Thursday afternoon, past the window the seal was armed with (due Thursday 12:30): the
    # truck planned for Tuesday is due by Friday and is not overdue.
    clock.advance(datetime(2026, 3, 5, 14, 0, tzinfo=BEIJING) - clock.now())
    TelemetryIngestor(w.services.engine, clock).check_silence()
    open_alerts = w.get("officer", "/api/v1/alerts?state=open").json()["items"]
    overdue = {a["trip_id"] for a in open_alerts if a["kind"] == "overdue"}
    # The first truck was planned to leave on Monday and never did: that one is late.
    assert overdue == {trip_of_seal(w, "EL-0311")["id"]}

    # It leaves on Thursday afternoon after all: the window counts from then.
    assert w.post("yardman", "/api/v1/visits/" + plan["visit_id"] + "/fees-paid").status_code == 200
    assert w.post("yardman", "/api/v1/gate/out", {"plate": "藏D30012"}).status_code == 200
    moved = trip_of_seal(w, "EL-0312")
    assert beijing(moved["window_end"]) > beijing(trip["window_end"])
    assert audit_actions(w, trip["id"])[-1] == "trip.window_rebased"


def test_a_sealed_truck_refused_a_parking_slot_for_days_is_not_overdue(
    make_world: MakeWorld,
) -> None:
    """A truck sealed in a full yard waits with no departure planned: its window (counted from
    the arming) is provisional, so days later it is still not overdue; once parked and
    planned, it is held to the planned departure's window, and its expected arrival counts
    from that departure too."""
    clock = FixedClock(T0)
    layout = YardFiles(None).layout_document()
    general = next(z for z in layout["parking_zones"] if z["id"] == "general")
    general["slots"] = 1
    w = make_world(layout, clock=clock)
    first_id = parked_truck(w, "藏D30021", "EL-0321")["visit_id"]  # the only general slot
    declaration = declared(w, furniture_payload(vehicle_plate="藏D30022"))
    visit = pre_advised(w, declaration, "藏D30022")
    assert w.post("yardman", "/api/v1/gate/in", {"plate": "藏D30022"}).status_code == 200
    assert w.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch").status_code == 200
    arm_seal(w, declaration["id"], "EL-0322")
    refused = w.post("yardman", f"/api/v1/visits/{visit['id']}/parking")
    assert refused.status_code == 409, refused.text
    waiting = trip_of_seal(w, "EL-0322")
    assert waiting["departs_at"] is None
    armed_window_end = beijing(waiting["window_end"])

    # Four days on, past the window set at the arming: no overdue alert for it.
    clock.advance(timedelta(days=4))
    assert clock.now() > armed_window_end
    TelemetryIngestor(w.services.engine, clock).check_silence()
    open_alerts = w.get("officer", "/api/v1/alerts?state=open").json()["items"]
    assert waiting["id"] not in {a["trip_id"] for a in open_alerts if a["kind"] == "overdue"}

    # The slot frees (the first truck leaves); parked now, the truck gets a departure.
    first = trip_of_seal(w, "EL-0321")
    assert w.post("yardman", "/api/v1/gate/out", {"plate": "藏D30021"}).status_code == 409
    assert w.post("yardman", f"/api/v1/visits/{first_id}/fees-paid").status_code == 200
    out = w.post("yardman", "/api/v1/gate/out", {"plate": "藏D30021"})
    assert out.status_code == 200, out.text
    assert trip_of_seal(w, "EL-0321")["departs_at"] is not None and first["departs_at"]
    parked = w.post("yardman", f"/api/v1/visits/{visit['id']}/parking")
    assert parked.status_code == 200, parked.text
    planned = trip_of_seal(w, "EL-0322")
    departure = datetime.fromisoformat(parked.json()["departure"]["departure_utc"])
    assert datetime.fromisoformat(planned["departs_at"]) == departure
    assert beijing(planned["departs_at_beijing"]) == departure
    assert beijing(planned["window_end"]) > clock.now()
    view = w.get("officer", f"/api/v1/trips/{planned['id']}").json()
    expected = datetime.fromisoformat(view["window"]["expected"])
    assert departure < expected <= datetime.fromisoformat(planned["window_end"])

    # It misses that departure: past the new window, still in the yard, it is overdue.
    clock.advance(datetime.fromisoformat(planned["window_end"]) - clock.now() + timedelta(hours=1))
    TelemetryIngestor(w.services.engine, clock).check_silence()
    open_alerts = w.get("officer", "/api/v1/alerts?state=open").json()["items"]
    assert planned["id"] in {a["trip_id"] for a in open_alerts if a["kind"] == "overdue"}


def trip_of_seal(w: World, seal_id: str) -> dict[str, Any]:
    items = w.get("officer", "/api/v1/trips?active=true").json()["items"]
    found: dict[str, Any] = next(t for t in items if t["seal_id"] == seal_id)
    return found


def audit_actions(w: World, trip_id: str) -> list[str]:
    with w.services.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.action)
            .where(audit_log.c.entity_type == "trip", audit_log.c.entity_id == trip_id)
            .order_by(audit_log.c.seq)
        )
        return [r[0] for r in rows]


def test_the_trucks_booking_capacity_are_counted_per_port_and_departure(
    make_world: MakeWorld,
) -> None:
    """The database counts the trucks booking border capacity; the count is that of the
    scheduled trucks themselves, by exit port and departure (an aware UTC time), without the
    visits being planned again. Two trucks leave the same morning one exit turn apart (the
    gate lets one out a minute), one leaves a day later."""
    w = make_world(layout_with_capacity(2))
    parked_truck(w, "藏D30031", "EL-0331")
    parked_truck(w, "藏D30032", "EL-0332")
    parked_truck(w, "藏D30033", "EL-0333")
    with w.services.engine.connect() as conn:
        store = SqlVisitStore(conn)
        slots = store.departure_slots(VisitStatus.DEPARTURE_SCHEDULED)
        booked = store.booked_since(T0 - timedelta(days=1))
        without_first = store.booked_since(T0 - timedelta(days=1), [slots[0].visit_id])
        later = store.booked_since(T0 + timedelta(days=30))
    assert len(slots) == 3
    assert booked == Counter((s.exit_port, s.departure_at) for s in slots)
    assert sorted(booked.values()) == [1, 1, 1]
    first, second, third = sorted(at for _, at in booked)
    assert second - first == timedelta(minutes=1) and third - first >= timedelta(hours=23)
    assert {port for port, _ in booked} == {"gyirong-port"}
    assert all(at.tzinfo is not None for _, at in booked)
    assert without_first == Counter((s.exit_port, s.departure_at) for s in slots[1:])
    assert later == Counter()
