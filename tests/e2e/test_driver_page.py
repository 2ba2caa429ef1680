"""The driver's link, on SQLite and PostgreSQL: his truck's step and what to do next, without
an account, and nothing of the goods or the exporter; a link not ours opens nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from goods import furniture_payload
from landport.adapters.db import tables as t
from world import World
from yard_world import PLATE, arm_seal, declared, make_world, pre_advised, world

__all__ = ["make_world", "world"]  # fixtures used by the tests below


def as_driver(w: World, link: str, api: bool = True) -> Any:
    w.client.cookies.clear()  # no session: the link is all the driver has
    return w.client.get(f"/api/v1{link}" if api else link)


def test_the_driver_follows_his_truck_from_the_gate_to_its_departure(world: World) -> None:
    declaration = declared(world, furniture_payload())
    visit = pre_advised(world, declaration)
    link = visit["driver_link"]
    assert link.startswith("/driver/")
    seen = as_driver(world, link)
    assert seen.status_code == 200, seen.text
    first = seen.json()
    assert (first["plate"], first["status"]) == (visit["plate"], "pre_advised")
    assert "entry gate" in first["next_en"] and "入口闸" in first["next_zh"]
    shown = str(first)
    for private in (declaration["id"], declaration["number"], "enterprise", "goods", "uscc"):
        assert private not in shown  # the driver's view holds no data of the goods
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    assert world.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch").status_code == 200
    assert "sealing station" in as_driver(world, link).json()["next_en"]
    arm_seal(world, declaration["id"])
    parked = world.post("yardman", f"/api/v1/visits/{visit['id']}/parking").json()
    now = as_driver(world, link).json()
    assert now["status"] == "departure_scheduled" and now["slot"] == parked["slot_id"]
    assert "Leave the yard at 10:00 on 2026-03-02" in now["next_en"]
    assert now["slot"] in now["next_en"] and "expected at Gyirong port" in now["next_en"]
    assert "到达吉隆口岸" in now["next_zh"] and "gyirong-port" not in now["next_zh"]
    assert now["departure"]["at_beijing"] == parked["departure"]["departure_beijing"]
    page = as_driver(world, link, api=False)
    assert page.status_code == 200 and PLATE in page.text
    assert page.text.count("离场发车") == 1  # said once, in the next step
    assert 'http-equiv="refresh"' in page.text
    assert page.headers["cache-control"] == "no-store"  # the link is a credential
    assert page.headers["referrer-policy"] == "no-referrer"
    assert world.post("yardman", f"/api/v1/visits/{visit['id']}/fees-paid").status_code == 200
    assert world.post("yardman", "/api/v1/gate/out", {"plate": PLATE}).status_code == 200
    gone = as_driver(world, link).json()  # on the road: the yard's facts no longer apply
    assert gone["status"] == gone["stage"] == "on_trip" and "吉隆口岸" in gone["next_zh"]
    due = datetime.fromisoformat(now["departure"]["expected_arrival_beijing"])
    assert f"you are expected there at {due:%H:%M} on {due:%Y-%m-%d}" in gone["next_en"]
    assert f"预计北京时间 {due:%Y-%m-%d %H:%M} 到达" in gone["next_zh"]
    assert (gone["slot"], gone["departure"], gone["station"]) == (None, None, None)
    assert gone["exit_port"] == {"id": "gyirong-port", "en": "Gyirong port", "zh": "吉隆口岸"}
    # where he may stop on the way, in road order (a stop anywhere else raises an alert)
    assert [z["id"] for z in gone["rest_stops"]] == [
        "lhatse",
        "new-tingri",
        "old-tingri",
        "gyirong-county",
        "gyirong-town",
    ]
    assert gone["rest_stops"][0]["en"] == "Lhatse" and gone["rest_stops"][0]["zh"] == "拉孜"
    road = as_driver(world, link, api=False).text
    assert "允许停车点" in road and "拉孜 · 定日县（协格尔） · 岗嘎" in road
    with world.services.engine.begin() as conn:  # the track has reached the border zone
        conn.execute(
            update(t.trips)
            .where(t.trips.c.declaration_id == declaration["id"])
            .values(state="at_border")
        )
    there = as_driver(world, link).json()
    assert "At Gyirong port: show your truck to the border officers" in there["next_en"]
    assert "已到达吉隆口岸" in there["next_zh"]
    assert there["rest_stops"] == []  # at the border they no longer matter
    assert (there["status"], there["stage"]) == ("on_trip", "at_border")
    with world.services.engine.begin() as conn:  # released: the goods have left the country
        conn.execute(
            update(t.trips)
            .where(t.trips.c.declaration_id == declaration["id"])
            .values(state="exited")
        )
    crossed = as_driver(world, link).json()
    assert crossed["stage"] == "exited" and "Safe journey" in crossed["next_en"]
    page = as_driver(world, link, api=False).text  # the badge says what the line below does
    badge = re.search(r'data-testid="driver-status">\s*([^<]*?)\s*<', page)
    assert badge is not None and badge.group(1) == "已出境"
    world.services.clock.advance(timedelta(days=5))  # trip over: the link stops opening
    expired = as_driver(world, link)
    assert expired.status_code == 401 and expired.json()["message_zh"] == "司机链接已过期"


def test_a_driver_with_a_booked_hour_is_told_when_to_come(world: World) -> None:
    declaration = declared(world, furniture_payload())
    visit = pre_advised(world, declaration)
    hour = "2026-03-03T03:00:00+00:00"  # 11:00 Beijing time, the next day
    body = {"declaration_id": declaration["id"], "resource_id": "gate-in-1", "slot_start": hour}
    booked = world.post("exporter", "/api/v1/appointments", body)
    assert booked.status_code == 201, booked.text
    seen = as_driver(world, visit["driver_link"]).json()
    assert "between 11:00 and 12:00 on 2026-03-03" in seen["next_en"]
    assert "2026-03-03 11:00–12:00" in seen["next_zh"]
    page = as_driver(world, visit["driver_link"], api=False).text
    assert "11:00–12:00" in page


def test_a_held_truck_is_told_to_see_the_yard_office(world: World) -> None:
    visit = pre_advised(world, declared(world, furniture_payload()))
    assert world.post("yardman", "/api/v1/gate/in", {"plate": PLATE}).status_code == 200
    held = world.post(
        "yardman", f"/api/v1/visits/{visit['id']}/holds", {"kind": "yard", "reason": "tyre"}
    )
    assert held.status_code == 201
    told = as_driver(world, visit["driver_link"]).json()
    assert told["held"] and "yard office" in told["next_en"] and "tyre" not in str(told)


def test_a_link_not_made_by_the_port_opens_nothing(world: World) -> None:
    visit = pre_advised(world, declared(world, furniture_payload()))
    forged = f"/driver/{visit['id']}.AAAAAAAAAAAAAAAAAAAAAA"
    refused = as_driver(world, forged)
    assert refused.status_code == 401 and refused.json()["message_zh"] == "司机链接无效"
    page = as_driver(world, forged, api=False)
    assert page.status_code == 401 and "链接无效" in page.text
    for odd in (f"{visit['id']}.%C3%A9", "x.%E4%B8%AD%E6%96%87"):  # not ours, not a crash
        assert as_driver(world, f"/driver/{odd}").status_code == 401
        assert as_driver(world, f"/driver/{odd}", api=False).status_code == 401
    token = visit["driver_link"].rpartition(".")[2]
    for other in ("another-visit", visit["id"] + "0"):  # the digest is of this visit only
        assert as_driver(world, f"/driver/{other}.{token}").status_code == 401
