"""Truck appointments over HTTP, on SQLite and PostgreSQL: booking, refusals, standby,
walk-ins, the no-show sweep feeding the fairness rule, and the last place taken at once.

Bookable resources come from the packaged yard layout: `exam-bay-1` sells 2 places an hour
(10:00, 11:00 and 14:00-17:00 Beijing time), its peak hours (10, 11) 1 place per forwarder.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.shared.clock import FixedClock
from world import OTHER_USCC, World

NOW = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)  # Monday 08:00 Beijing time
BAY = "exam-bay-1"


def beijing(day_offset: int, hour: int) -> str:
    """The start of a Beijing hour `day_offset` days after NOW, as ISO 8601 with +08:00."""
    return f"2026-05-{4 + day_offset:02d}T{hour:02d}:00:00+08:00"


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url, clock=FixedClock(NOW))
    w.without_random_selection()
    w.add_user("yardman", "yard_operator")
    yield w
    w.close()


def clock(w: World) -> FixedClock:
    c = w.services.clock
    assert isinstance(c, FixedClock)
    return c


def declared(w: World, user: str = "exporter", **overrides: Any) -> str:
    if user == "competitor":
        overrides.setdefault("consignor_uscc", OTHER_USCC)
    response = w.lodge(furniture_payload(**overrides), user=user, submit=True)
    assert response.status_code == 201, response.text
    declaration_id: str = response.json()["id"]
    return declaration_id


def book(w: World, declaration_id: str, slot: str, *, user: str = "exporter", **extra: Any) -> Any:
    body = {"declaration_id": declaration_id, "resource_id": BAY, "slot_start": slot, **extra}
    return w.post(user, "/api/v1/appointments", body)


def booked(w: World, declaration_id: str, slot: str, user: str = "exporter") -> dict[str, Any]:
    response = book(w, declaration_id, slot, user=user)
    assert response.status_code == 201, response.text
    view: dict[str, Any] = response.json()
    return view


def error_codes(response: Any) -> set[str]:
    return {e["code"] for e in response.json().get("errors", [])}


def listed(w: World, user: str = "admin") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = w.get(user, "/api/v1/appointments").json()["items"]
    return items


def audit_actions(w: World, appointment_id: str) -> list[str]:
    with w.services.read_engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_log.c.action)
            .where(t.audit_log.c.entity_id == appointment_id)
            .order_by(t.audit_log.c.seq)
        )
        return [r[0] for r in rows]


def test_a_declarant_books_an_hour_and_only_its_enterprise_sees_it(world: World) -> None:
    made = booked(world, declared(world), beijing(1, 14))
    assert made["status"] == "booked" and made["resource_id"] == BAY
    assert made["slot_start_beijing"].startswith("2026-05-05T14:00")
    assert [a["id"] for a in listed(world, "exporter")] == [made["id"]]
    mine = listed(world, "exporter")[0]  # the bay by its sign, as at the yard
    assert (mine["name_en"], mine["name_zh"]) == ("Examination Bay 1", "1号人工查验台")
    assert listed(world, "competitor") == []
    assert world.get("competitor", f"/api/v1/appointments/{made['id']}").status_code == 404
    free = world.get("exporter", "/api/v1/appointments/capacity", params={"date": "2026-05-05"})
    bay = next(r for r in free.json()["resources"] if r["resource_id"] == BAY)
    assert (bay["name_en"], bay["name_zh"]) == ("Examination Bay 1", "1号人工查验台")
    at_14 = next(h for h in bay["hours"] if h["hour"] == "14:00")
    assert (at_14["capacity"], at_14["booked"], at_14["free"]) == (2, 1, 1)
    assert audit_actions(world, made["id"]) == ["appointment.booked"]


def test_the_earliest_free_hour_is_booked_on_request(world: World) -> None:
    made = booked(world, declared(world), "earliest")
    assert made["slot_start_beijing"].startswith("2026-05-04T10:00")  # the bay opens at 10


def test_an_hour_outside_opening_hours_is_refused_and_nothing_is_booked(world: World) -> None:
    response = book(world, declared(world), beijing(1, 13))  # the bay's lunch break
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("slot_start", "outside_opening_hours")
    assert error["message_en"] and error["message_zh"]
    assert listed(world) == []


def test_a_full_hour_offers_standby_and_joining_it_queues_the_truck(world: World) -> None:
    for _ in range(2):
        booked(world, declared(world), beijing(1, 14))
    third = declared(world, "competitor")
    full = book(world, third, beijing(1, 14), user="competitor")
    assert full.status_code == 409
    assert error_codes(full) == {"slot_full"}
    assert "join_standby" in full.json()["errors"][0]["message_en"]
    waiting = book(world, third, beijing(1, 14), user="competitor", join_standby=True)
    assert waiting.status_code == 201
    assert (waiting.json()["status"], waiting.json()["standby_position"]) == ("standby", 1)


def test_a_forwarder_cannot_hold_more_than_its_quota_of_a_peak_hour(world: World) -> None:
    booked(world, declared(world), beijing(1, 10))
    response = book(world, declared(world), beijing(1, 10))
    assert response.status_code == 422
    assert error_codes(response) == {"peak_quota_exceeded"}
    assert response.json()["errors"][0]["field"] == "forwarder"
    booked(world, declared(world, "competitor"), beijing(1, 10), user="competitor")


def test_another_enterprises_declaration_cannot_be_booked(world: World) -> None:
    theirs = declared(world, "competitor")
    assert book(world, theirs, beijing(1, 14)).status_code == 404
    assert listed(world) == []


def test_a_cancelled_declaration_cannot_be_booked(world: World) -> None:
    draft = world.lodge(furniture_payload()).json()["id"]
    assert book(world, draft, beijing(1, 14)).status_code == 409  # still a draft
    cancelled = world.post("exporter", f"/api/v1/declarations/{draft}/cancel", {"reason": "typo"})
    assert cancelled.status_code == 200, cancelled.text
    refused = book(world, draft, beijing(1, 14))
    assert refused.status_code == 409
    assert "cancelled" in refused.json()["message_en"]


def test_a_declaration_cannot_be_booked_twice(world: World) -> None:
    declaration = declared(world)
    booked(world, declaration, beijing(1, 14))
    again = book(world, declaration, beijing(1, 15))
    assert again.status_code == 422
    assert error_codes(again) == {"declaration_already_booked"}
    assert len(listed(world)) == 1


@pytest.mark.parametrize(
    ("slot", "code"),
    [
        ("2026-05-05T14:00:00", "naive_datetime"),  # read as no time at all: refused first
        ("9999-12-31T23:00:00+00:00", "slot_out_of_range"),
        ("9999-12-31T23:00:00-05:00", "slot_out_of_range"),  # past year 9999 in UTC
        ("0001-01-01T00:00:00+08:00", "slot_out_of_range"),  # before year 1 in UTC
    ],
)
def test_a_slot_without_time_zone_or_beyond_the_years_is_refused_and_nothing_changes(
    world: World, slot: str, code: str
) -> None:
    declaration_id = declared(world)
    refused = book(world, declaration_id, slot)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("slot_start", code)
    assert error["message_en"] and error["message_zh"]
    assert listed(world) == []
    made = booked(world, declaration_id, beijing(1, 14))
    path = f"/api/v1/appointments/{made['id']}/reschedule"
    not_moved = world.post("exporter", path, {"slot_start": slot})
    assert not_moved.status_code == 422, not_moved.text
    assert [(e["field"], e["code"]) for e in not_moved.json()["errors"]] == [("slot_start", code)]
    assert [a["slot_start"] for a in listed(world)] == [made["slot_start"]]
    assert audit_actions(world, made["id"]) == ["appointment.booked"]


@pytest.mark.parametrize("path", ["/api/v1/appointments", "/api/v1/appointments/capacity"])
def test_a_day_beyond_the_years_the_port_keeps_is_refused_naming_the_date(
    world: World, path: str
) -> None:
    for day in ("0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"):
        refused = world.get("exporter", path, params={"date": day})
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert (error["field"], error["code"]) == ("date", "date_out_of_range")
        assert "2000-01-01" in error["message_en"] and "2100-12-31" in error["message_zh"]
    for day in ("2000-01-01", "2100-12-31"):
        assert world.get("exporter", path, params={"date": day}).status_code == 200


def test_reschedule_moves_the_booking_and_a_full_hour_keeps_the_old_one(world: World) -> None:
    made = booked(world, declared(world), beijing(1, 14))
    moved = world.post(
        "exporter", f"/api/v1/appointments/{made['id']}/reschedule", {"slot_start": beijing(1, 16)}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot_start_beijing"].startswith("2026-05-05T16:00")
    for _ in range(2):
        booked(world, declared(world, "competitor"), beijing(1, 15), user="competitor")
    full = world.post(
        "exporter", f"/api/v1/appointments/{made['id']}/reschedule", {"slot_start": beijing(1, 15)}
    )
    assert full.status_code == 422 and error_codes(full) == {"slot_full"}
    kept = world.get("exporter", f"/api/v1/appointments/{made['id']}").json()
    assert kept["slot_start_beijing"].startswith("2026-05-05T16:00")
    assert audit_actions(world, made["id"]) == ["appointment.booked", "appointment.rescheduled"]


def test_a_cancellation_promotes_the_first_standby_entry_and_audits_it(world: World) -> None:
    first = booked(world, declared(world), beijing(1, 14))
    booked(world, declared(world), beijing(1, 14))
    waiting = book(world, declared(world, "competitor"), beijing(1, 14), user="competitor",
                   join_standby=True).json()  # fmt: skip
    assert waiting["status"] == "standby"
    cancelled = world.post("exporter", f"/api/v1/appointments/{first['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    promoted = world.get("competitor", f"/api/v1/appointments/{waiting['id']}").json()
    assert promoted["status"] == "booked" and promoted["promoted_at"]
    assert audit_actions(world, waiting["id"]) == ["appointment.standby", "appointment.promoted"]
    again = world.post("exporter", f"/api/v1/appointments/{first['id']}/cancel")
    assert again.status_code == 422 and error_codes(again) == {"appointment_not_active"}
    assert world.post("competitor", f"/api/v1/appointments/{first['id']}/cancel").status_code == (
        404
    )


def test_walk_ins_are_admitted_while_the_hour_has_room_then_wait_on_standby(world: World) -> None:
    clock(world).advance(timedelta(hours=6, minutes=10))  # 14:10 Beijing time
    walk = {"resource_id": BAY, "declaration_id": declared(world)}
    assert world.post("exporter", "/api/v1/appointments/walk-in", walk).status_code == 403
    statuses = []
    for user in ("exporter", "exporter", "competitor"):
        walk["declaration_id"] = declared(world, user)
        response = world.post("yardman", "/api/v1/appointments/walk-in", walk)
        assert response.status_code == 201, response.text
        statuses.append(response.json()["status"])
    assert statuses == ["arrived", "arrived", "standby"]
    assert "capacity" in listed(world, "yardman")[-1]["note"]
    walk["declaration_id"] = declared(world)
    refused = world.post("yardman", "/api/v1/appointments/walk-in",
                         {**walk, "standby_when_full": False})  # fmt: skip
    assert refused.status_code == 422 and error_codes(refused) == {"no_capacity_for_walk_in"}


def gate_in(w: World, declaration_id: str) -> None:
    advice = {"declaration_id": declaration_id, "plate": "藏D12345"}
    assert w.post("exporter", "/api/v1/visits", advice).status_code == 201
    gated = w.post("yardman", "/api/v1/gate/in", {"plate": "藏D12345"})
    assert gated.status_code == 200, gated.text


def test_the_sweep_records_no_shows_and_the_fairness_rule_suspends_priority(world: World) -> None:
    kept = booked(world, declared(world), beijing(0, 10))
    missed = [booked(world, declared(world), beijing(0, h)) for h in (11, 14, 15)]
    clock(world).advance(timedelta(hours=2, minutes=5))  # 10:05: the kept truck comes in
    gate_in(world, kept["declaration_id"])
    assert world.post("exporter", "/api/v1/appointments/no-shows/sweep").status_code == 403
    clock(world).advance(timedelta(hours=8))  # 18:05 Beijing time: 16:00 slot plus grace passed
    swept = world.post("yardman", "/api/v1/appointments/no-shows/sweep")
    assert swept.status_code == 200, swept.text
    assert swept.json()["arrived"] == [kept["id"]]
    assert swept.json()["no_shows"] == sorted(m["id"] for m in missed)
    standing = world.get("exporter", "/api/v1/appointments/standing").json()["items"]
    assert standing == [{**standing[0], "no_shows": 3, "arrivals": 1, "priority_suspended": True}]
    far = book(world, declared(world), beijing(3, 14))
    assert far.status_code == 422 and error_codes(far) == {"no_show_priority_loss"}
    assert booked(world, declared(world), beijing(1, 14))["status"] == "booked"  # within 24 h
    assert booked(world, declared(world, "competitor"), beijing(3, 14), "competitor")
    assert audit_actions(world, missed[0]["id"]) == ["appointment.booked", "appointment.no_show"]


def test_the_published_rule_is_readable_in_both_languages(world: World) -> None:
    rules = world.get("border", "/api/v1/appointments/rules").json()
    assert rules["fairness"]["code"] == "no_show_priority_loss"
    assert "no-shows" in rules["fairness"]["text_en"] and "爽约" in rules["fairness"]["text_zh"]
    bay = next(r for r in rules["resources"] if r["resource_id"] == BAY)
    assert bay["open_hours"] == ["10:00", "11:00", "14:00", "15:00", "16:00", "17:00"]
    assert world.client.get("/api/v1/appointments/rules").status_code == 401


def test_two_declarants_taking_the_last_place_at_once_one_wins(world: World) -> None:
    booked(world, declared(world), beijing(1, 14))
    mine, theirs = declared(world), declared(world, "competitor")
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(
                lambda job: book(world, job[1], beijing(1, 14), user=job[0]),
                [("exporter", mine), ("competitor", theirs)],
            )
        )
    assert sorted(r.status_code for r in answers) == [201, 409]
    holders = [a for a in listed(world) if a["status"] == "booked"]
    assert len(holders) == 2
    with world.services.read_engine.connect() as conn:
        from landport.adapters.db.appointment_tables import appointment_slots

        counter = conn.execute(select(appointment_slots.c.booked)).scalars().all()
    assert counter == [2]


def test_a_truck_is_announced_only_with_a_live_appointment_of_its_own_declaration(
    world: World,
) -> None:
    mine = declared(world)
    theirs = book(world, declared(world, "competitor"), beijing(1, 14), user="competitor")
    assert theirs.status_code == 201, theirs.text
    plate = furniture_payload()["vehicle_plate"]
    announce = {"declaration_id": mine, "plate": plate, "appointment_id": theirs.json()["id"]}
    refused = world.post("exporter", "/api/v1/visits", announce)
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "appointment_id"
    assert error["code"] == "appointment_not_of_declaration"
    assert "预约" in error["message_zh"]
    assert world.get("officer", "/api/v1/visits").json()["total"] == 0

    own = book(world, mine, beijing(1, 15)).json()["id"]
    assert world.post("exporter", f"/api/v1/appointments/{own}/cancel").status_code == 200
    announce["appointment_id"] = own
    assert world.post("exporter", "/api/v1/visits", announce).status_code == 422  # cancelled

    again = book(world, mine, beijing(1, 16)).json()["id"]
    announce["appointment_id"] = again
    accepted = world.post("exporter", "/api/v1/visits", announce)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["appointment_id"] == again


def test_a_bay_added_to_the_layout_in_force_is_sold_at_once(world: World) -> None:
    """Appointments sell the resources of the layout the yard uses (a version an admin put in
    the database), not the file they started with."""
    w = world
    other = declared(w)
    unknown = w.post(
        "exporter",
        "/api/v1/appointments",
        {"declaration_id": other, "resource_id": "exam-bay-3", "slot_start": beijing(1, 14)},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["code"] == "unknown_resource"

    document = w.get("officer", "/api/v1/yard/layout").json()["layout"]
    bay = {"id": "exam-bay-3", "name_en": "Examination Bay 3", "name_zh": "3号人工查验台"}
    document["exam_bays"].append({**document["exam_bays"][0], **bay})  # a sign of its own
    kept = w.client.put("/api/v1/yard/layout", json=document, headers=w.headers("admin"))
    assert kept.status_code == 200, kept.text

    rules = w.get("exporter", "/api/v1/appointments/rules").json()
    assert "exam-bay-3" in {r["resource_id"] for r in rules["resources"]}
    grid = w.get("exporter", "/api/v1/appointments/capacity", params={"date": "2026-05-05"})
    signs = {r["resource_id"]: r["name_zh"] for r in grid.json()["resources"]}
    assert signs["exam-bay-3"] == "3号人工查验台"  # the new bay's own sign, at once
    booked = w.post(
        "exporter",
        "/api/v1/appointments",
        {"declaration_id": other, "resource_id": "exam-bay-3", "slot_start": beijing(1, 14)},
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["resource_id"] == "exam-bay-3"


def test_a_limited_list_keeps_the_latest_slots_in_slot_order_and_counts_them_all(
    world: World,
) -> None:
    """A long-running yard's book holds years of appointments: a list without a date shows
    the latest, not the first ones ever sold, and `total` still counts every one."""
    made = [booked(world, declared(world), beijing(day, 14))["id"] for day in (3, 1, 2)]
    booked(world, declared(world, "competitor"), beijing(4, 14), user="competitor")
    page = world.get("admin", "/api/v1/appointments", params={"limit": 2}).json()
    assert page["total"] == 4
    starts = [a["slot_start_beijing"][:10] for a in page["items"]]
    assert starts == ["2026-05-07", "2026-05-08"]  # the two latest, earliest first
    own = world.get("exporter", "/api/v1/appointments", params={"limit": 2}).json()
    assert own["total"] == 3
    assert [a["id"] for a in own["items"]] == [made[2], made[0]]  # 6 May, 7 May
    one_day = world.get("admin", "/api/v1/appointments", params={"date": "2026-05-05"}).json()
    assert (one_day["total"], [a["id"] for a in one_day["items"]]) == (1, [made[1]])
    too_many = world.get("admin", "/api/v1/appointments", params={"limit": 5001})
    assert too_many.status_code == 422
