"""The big screen's read endpoints, on both engines: staff only, figures that follow the port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from goods import furniture_payload, primary_lithium_payload
from landport.adapters.live_events import LiveEventHub
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.demo.live import live_clock
from landport.shared.clock import FixedClock
from tracks import T0, Detour, LockOpen, build_track, shipped_corridors
from world import World

ENDPOINTS = ("summary", "charts", "trips", "alerts", "map")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_screen_endpoints_refuse_declarants_and_strangers(world: World, endpoint: str) -> None:
    path = f"/api/v1/screen/{endpoint}"
    assert world.client.get(path).status_code == 401
    refused = world.get("exporter", path)
    assert refused.status_code == 403
    assert "declarant" in refused.json()["message_en"]
    for staff in ("officer", "auditor", "admin", "border"):
        assert world.get(staff, path).status_code == 200, staff


def test_the_summary_counts_declared_trucks_lanes_and_the_capacity(world: World) -> None:
    before = world.get("auditor", "/api/v1/screen/summary").json()
    assert world.lodge(furniture_payload(), submit=True).status_code == 201
    assert world.lodge(primary_lithium_payload(), submit=True).status_code == 201
    assert world.lodge(furniture_payload()).status_code == 201  # a draft is not a truck yet
    after = world.get("auditor", "/api/v1/screen/summary").json()
    assert after["trucks"]["capacity"] == 300
    assert after["trucks"]["declared"] == before["trucks"]["declared"] + 2
    # declared, not yet through the gate: expected, not in the yard
    assert after["trucks"]["expected"] == before["trucks"]["expected"] + 2
    assert after["trucks"]["in_yard"] == before["trucks"]["in_yard"]
    assert after["lanes"]["green"] == before["lanes"]["green"] + 1
    assert after["lanes"]["red"] == before["lanes"]["red"] + 1
    assert after["cost_saving"]["total_cny"] == 2 * 2000
    # green is released on lodging: the headline is the truck's handling, gate-in to sealed
    assert after["clearance"]["span"] == "gated_in->sealed"
    assert after["clearance"]["count"] == before["clearance"]["count"]  # none sealed yet


def test_the_charts_sort_goods_into_old_three_and_new_three(world: World) -> None:
    world.lodge(furniture_payload(), submit=True)
    charts = world.get("officer", "/api/v1/screen/charts").json()
    assert {"group": "old_three", "category": "furniture", "items": 1} in charts["cargo_mix"]
    assert sum(charts["throughput"]["declared"]) == 1
    assert len(charts["hours"]) == 24
    assert charts["provinces"][0]["name_zh"]


def test_one_truck_shows_its_declaration_and_goods_and_an_unknown_one_is_404(world: World) -> None:
    declared = world.lodge(furniture_payload(), submit=True).json()
    found = world.get("auditor", f"/api/v1/screen/trucks/{declared['id']}").json()
    assert found["declaration"]["number"] == declared["number"]
    assert found["declaration"]["declaration"]["items"][0]["hs_code"] == "9401610000"
    assert found["passport"] is not None  # green lane: released with its passport
    assert found["trip"] is None
    missing = world.get("auditor", "/api/v1/screen/trucks/no-such-declaration")
    assert missing.status_code == 404
    assert world.get("exporter", f"/api/v1/screen/trucks/{declared['id']}").status_code == 403


def test_the_corridors_and_places_of_the_map_come_from_the_port_data(world: World) -> None:
    port = world.get("border", "/api/v1/screen/map").json()
    ports = {f["properties"]["to_port"] for f in port["corridors"]["features"]}
    assert ports == {"gyirong-port", "zhangmu-port", "lizi-port"}
    assert any(p["id"] == "shigatse-land-port" for p in port["places"])
    assert port["tile_url"] is None  # offline basemap unless a site configures tiles


def test_the_live_event_hub_hears_the_bus_after_commit_with_the_enterprise(world: World) -> None:
    hub: LiveEventHub = world.client.app.state.live_events  # type: ignore[attr-defined]
    before = hub.published
    declared = world.lodge(furniture_payload(), submit=True).json()
    recent = list(hub._recent)[-(hub.published - before) :]
    kinds = [e.type for e in recent]
    assert kinds[0] == "declaration.lodged"
    assert "declaration.released" in kinds
    assert {e.enterprise_uscc for e in recent} == {declared["enterprise_uscc"]}
    refused = world.lodge(furniture_payload(vehicle_plate="not a plate"), submit=True)
    assert refused.status_code == 422
    assert hub.published == before + len(recent)  # nothing committed, nothing published


def test_the_summary_says_what_the_platform_clock_reads_and_how_fast_it_runs(
    world: World,
) -> None:
    before = datetime.now(UTC)
    summary = world.get("auditor", "/api/v1/screen/summary").json()
    as_of = datetime.fromisoformat(summary["as_of"])
    assert before - timedelta(seconds=1) <= as_of <= datetime.now(UTC) + timedelta(seconds=1)
    assert summary["clock_rate"] == 1.0  # the system clock: one second a second


@pytest.fixture
def twin_world(database_url: str) -> Iterator[World]:
    """A port on the demo twin's clock: 60 simulated seconds a real second, its hours not ours."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=9)
    _env, clock = live_clock(start, speed=60)
    w = World(database_url, clock=clock)
    yield w
    w.close()


def test_on_the_twin_s_clock_the_summary_is_at_its_time_and_rate(twin_world: World) -> None:
    summary = twin_world.get("auditor", "/api/v1/screen/summary").json()
    clock = twin_world.services.clock
    assert datetime.fromisoformat(summary["as_of"]) == clock.now()  # the twin's, not the wall's
    assert summary["clock_rate"] == pytest.approx(60.0)


# --- alerts raised, handled and ended: the day's custody work ---------------------------------

#: What the screen's alert list has always carried, item by item (checked from outside).
ALERT_FIELDS = {
    "id", "alert_id", "key", "trip_id", "kind", "severity", "state", "opened_at", "lat", "lon",
    "message_en", "message_zh", "vehicle_plate", "declaration_id",
}  # fmt: skip
ALERTS = "/api/v1/screen/alerts"


@dataclass
class CustodyDay:
    """A truck on the Gyirong corridor that left it once (closed by the track when it came
    back) and whose e-lock was opened twice on the road (open until an officer acts)."""

    world: World
    clock: FixedClock
    deviation: dict[str, Any]
    first_opening: dict[str, Any]
    second_opening: dict[str, Any]

    def handle(self, alert: dict[str, Any], action: str, reason: str) -> None:
        path = f"/api/v1/alerts/{alert['id']}/{action}"
        response = self.world.post("officer", path, {"reason": reason})
        assert response.status_code == 200, response.text

    def listed(self, **params: Any) -> list[dict[str, Any]]:
        response = self.world.get("auditor", ALERTS, params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@pytest.fixture
def custody_day(database_url: str) -> Iterator[CustodyDay]:
    clock = FixedClock(T0)
    world = World(database_url, clock=clock)
    world.without_random_selection()
    seal = {"seal_id": "EL-0042", "vendor": "generic", "protocol": "json-mqtt", "secret": "k" * 24}
    assert world.post("officer", "/api/v1/seals", seal).status_code == 201
    declaration = world.lodge(furniture_payload(), submit=True).json()
    armed = {
        "seal_id": "EL-0042",
        "declaration_id": declaration["id"],
        "route_id": "shigatse-gyirong",
    }
    assert world.post("officer", "/api/v1/trips", armed).status_code == 201
    fixes = build_track(
        shipped_corridors()["shigatse-gyirong"],
        seal_id="EL-0042",
        interval_s=120,
        end_km=200,
        detours=[Detour(at_km=60, off_km=3)],
        lock_opens=[
            LockOpen(at_km=120, relock_after_minutes=6),
            LockOpen(at_km=170, relock_after_minutes=6),
        ],
    ).fixes
    ingestor = TelemetryIngestor(world.services.engine, clock)
    for i in range(0, len(fixes), 100):
        clock._now = fixes[i : i + 100][-1].fix_time  # the server's clock follows the stream
        ingestor.ingest_fixes(fixes[i : i + 100])
    rows = world.get("officer", "/api/v1/alerts").json()["items"]
    [deviation] = [a for a in rows if a["kind"] == "route_deviation"]
    first, second = sorted(
        (a for a in rows if a["kind"] == "seal_opened"), key=lambda a: a["opened_at"]
    )
    assert (deviation["state"], first["state"], second["state"]) == ("closed", "open", "open")
    yield CustodyDay(world, clock, deviation, first, second)
    world.close()


def test_by_default_the_alert_list_is_the_unresolved_ones_as_before(
    custody_day: CustodyDay,
) -> None:
    day = custody_day
    day.handle(day.second_opening, "acknowledge", "calling the driver")
    listed = day.listed()
    assert [a["key"] for a in listed] == [day.second_opening["key"], day.first_opening["key"]]
    assert [a["state"] for a in listed] == ["acknowledged", "open"]  # newest first
    assert all(set(a) == ALERT_FIELDS for a in listed)
    # `alert_id` is the number an officer's acknowledge and resolve take
    assert [a["alert_id"] for a in listed] == [day.second_opening["id"], day.first_opening["id"]]
    assert day.listed(include_handled_hours=0) == listed
    day.handle(day.first_opening, "resolve", "driver showed the papers at the checkpoint")
    assert [a["key"] for a in day.listed()] == [day.second_opening["key"]]  # resolved: gone


@pytest.mark.parametrize(
    ("hours", "code", "bound", "zh"),
    [(-1, "greater_than_equal", "0", "不得小于"), (73, "less_than_equal", "72", "不得大于")],
)
def test_handled_hours_beyond_three_days_or_below_zero_are_refused_naming_it(
    custody_day: CustodyDay, hours: int, code: str, bound: str, zh: str
) -> None:
    response = custody_day.world.get("auditor", ALERTS, params={"include_handled_hours": hours})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("include_handled_hours", code)
    assert error["message_en"].endswith(f" {bound}")  # the field is named by `field`
    assert error["message_zh"] == f"字段 include_handled_hours {zh} {bound}"
    for allowed in (0, 72):  # the bounds themselves are answered
        assert custody_day.listed(include_handled_hours=allowed)[0]["state"] == "open"


def test_handled_alerts_follow_the_unresolved_ones_with_how_they_ended(
    custody_day: CustodyDay,
) -> None:
    day = custody_day
    day.handle(day.second_opening, "acknowledge", "calling the driver")
    day.clock._now += timedelta(minutes=20)
    day.handle(day.first_opening, "resolve", "driver showed the papers at the checkpoint")
    resolved_at = day.clock.now()
    listed = day.listed(include_handled_hours=24)
    assert [(a["key"], a["state"]) for a in listed] == [
        (day.second_opening["key"], "acknowledged"),  # unresolved first
        (day.first_opening["key"], "resolved"),  # then the latest ended
        (day.deviation["key"], "closed"),
    ]
    being_handled, resolved, closed = listed
    assert being_handled["closed_at"] is None and being_handled["finding"] is None  # a note only
    assert being_handled["handled_by"] == "officer"
    assert datetime.fromisoformat(resolved["closed_at"]) == resolved_at
    assert resolved["finding"] == "driver showed the papers at the checkpoint"
    assert (resolved["handled_by"], resolved["vehicle_plate"]) == ("officer", "藏D12345")
    assert closed["closed_at"] == day.deviation["closed_at"] and closed["finding"] is None
    assert closed["monitor_resolution"] == "back_in_corridor"  # the track brought it back
    assert "back in the corridor" in closed["message_en"]
    # the last hour only: the deviation ended earlier in the day
    recent = day.listed(include_handled_hours=1)
    assert [a["state"] for a in recent] == ["acknowledged", "resolved"]
    figures = day.world.get("auditor", "/api/v1/screen/summary").json()["alerts"]
    assert (figures["raised_24h"], figures["resolved_24h"], figures["closed_24h"]) == (3, 1, 1)
    assert figures["open"] == 1


def test_a_declarant_may_not_read_the_handled_alerts_either(custody_day: CustodyDay) -> None:
    params = {"include_handled_hours": 24}
    refused = custody_day.world.get("exporter", ALERTS, params=params)
    assert refused.status_code == 403
    assert "declarant" in refused.json()["message_en"]
    assert custody_day.world.get("border", ALERTS, params=params).status_code == 200
