"""A truck let out of the yard well before its planned departure, on both engines: the
gate says so and the visit's history keeps it in both languages (the border's capacity was
planned for its planned day); one leaving on time is let out without a word."""

from __future__ import annotations

from datetime import datetime, timedelta

from landport.shared.clock import FixedClock
from world import World
from yard_world import make_world, parked_truck, world

__all__ = ["make_world", "world"]  # the fixtures the tests below use


def test_leaving_hours_before_the_planned_departure_is_said_and_kept(world: World) -> None:
    w = world
    clock = w.services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=4))  # 14:00: the morning's departures are over
    parked = parked_truck(w, "藏D60001", "EL-6001")
    planned = datetime.fromisoformat(parked["departure"]["departure_beijing"])
    assert planned - w.services.clock.now() > timedelta(hours=1), parked["departure"]
    visit = parked["visit_id"]
    assert w.post("yardman", f"/api/v1/visits/{visit}/fees-paid").status_code == 200
    out = w.post("yardman", "/api/v1/gate/out", {"plate": "藏D60001"})
    assert out.status_code == 200, out.text
    left = out.json()["steps"][-2]  # gated out, then on its trip
    assert left["status"] == "gated_out"
    assert "before its planned departure" in left["reason"]
    assert f"北京时间 {planned:%m-%d %H:%M}" in left["reason_zh"] and "提前" in left["reason_zh"]


def test_leaving_at_the_planned_departure_says_nothing(world: World) -> None:
    w = world
    parked = parked_truck(w, "藏D60002", "EL-6002")
    planned = datetime.fromisoformat(parked["departure"]["departure_beijing"])
    assert planned - w.services.clock.now() < timedelta(minutes=30)  # due to leave now
    visit = parked["visit_id"]
    assert w.post("yardman", f"/api/v1/visits/{visit}/fees-paid").status_code == 200
    out = w.post("yardman", "/api/v1/gate/out", {"plate": "藏D60002"})
    assert out.status_code == 200, out.text
    left = out.json()["steps"][-2]
    assert (left["status"], left["reason"], left["reason_zh"]) == ("gated_out", None, None)
