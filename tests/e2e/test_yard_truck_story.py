"""One export truck's whole story through the API, on SQLite and PostgreSQL: booked hour,
pre-advice naming the appointment, gate-in, dispatch, customs release, e-lock, parking,
planned departure, gate-out and the sealed trip; the appointment ends as arrived."""

from __future__ import annotations

from datetime import timedelta

from goods import lithium_ion_payload
from landport.shared.clock import FixedClock
from tracks import T0
from world import World
from yard_world import PLATE, arm_seal, declared, make_world, world

__all__ = ["make_world", "world"]  # the fixtures the test below uses


def test_a_yellow_lane_truck_goes_from_its_booked_hour_to_its_sealed_trip(world: World) -> None:
    w = world
    clock = w.services.clock
    assert isinstance(clock, FixedClock)  # 10:00 Beijing, Monday 2 March 2026
    declaration = declared(w, lithium_ion_payload(), status="document_check")
    body = {
        "declaration_id": declaration["id"],
        "resource_id": "gate-in-1",
        "slot_start": "2026-03-02T11:00:00+08:00",
    }
    booking = w.post("exporter", "/api/v1/appointments", body)
    assert booking.status_code == 201, booking.text
    appointment = booking.json()
    advice = {
        "declaration_id": declaration["id"],
        "plate": PLATE,
        "appointment_id": appointment["id"],
    }
    visit = w.post("exporter", "/api/v1/visits", advice)
    assert visit.status_code == 201, visit.text
    visit_id = visit.json()["id"]
    assert visit.json()["appointment_id"] == appointment["id"]
    path = f"/api/v1/visits/{visit_id}"

    clock.advance(timedelta(hours=1, minutes=5))  # 11:05: the truck comes in its hour
    assert w.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).json()["status"] == "gated_in"
    sent = w.post("yardman", f"{path}/dispatch")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "queued" and sent.json()["dispatch"]["waiting_for"]["zh"]
    checked = {
        "kind": "document_check",
        "result": "conform",
        "started_at": (T0 + timedelta(minutes=70)).isoformat(),
        "finished_at": (T0 + timedelta(minutes=80)).isoformat(),
        "findings": "invoice, packing list and UN 38.3 summary agree",
    }
    inspections = f"/api/v1/declarations/{declaration['id']}/inspections"
    clock.advance(timedelta(minutes=15))  # 11:20: the check is done, the officer records it
    assert w.post("officer", inspections, checked).status_code == 201
    released = w.post("officer", f"/api/v1/declarations/{declaration['id']}/release", {})
    assert released.status_code == 200, released.text
    assert w.get("yardman", path).json()["status"] == "decided"  # followed by itself
    arm_seal(w, declaration["id"])
    assert w.get("yardman", path).json()["status"] == "sealed"
    parked = w.post("yardman", f"{path}/parking")
    assert parked.status_code == 200, parked.text
    assert parked.json()["zone_kind"] == "dangerous_goods"
    assert parked.json()["status"] == "departure_scheduled"
    assert w.post("yardman", f"{path}/fees-paid").status_code == 200
    leaving = w.get("exporter", path).json()["departure"]
    assert leaving["port"] == "gyirong-port" and leaving["driver_zh"]

    out = w.post("yardman", "/api/v1/gate/out", {"plate": PLATE})
    assert out.status_code == 200, out.text
    assert out.json()["status"] == "on_trip"
    assert [s["status"] for s in out.json()["steps"]] == [
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
    clock.advance(timedelta(hours=2))  # 13:05: the 11:00 hour and its grace are over
    swept = w.post("yardman", "/api/v1/appointments/no-shows/sweep")
    assert swept.status_code == 200, swept.text
    assert swept.json()["arrived"] == [appointment["id"]] and swept.json()["no_shows"] == []
    trail = w.get("auditor", "/api/v1/audit", params={"entity_id": visit_id}).json()["items"]
    actions = [e["action"] for e in trail]
    assert actions[0] == "visit.pre_advised" and "visit.gated_out" in actions
