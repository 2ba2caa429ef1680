"""The big screen's read endpoints, on both engines: staff only, figures that follow the port."""

from __future__ import annotations

import pytest

from goods import furniture_payload, primary_lithium_payload
from landport.adapters.live_events import LiveEventHub
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
