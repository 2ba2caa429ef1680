"""The yard's test world: a port with a yard operator, its own reference directory and clock.

Each world gets its own operator reference directory, so a test may bring its own layout
(`yard.json`) without touching the others. Import the fixtures
(`make_world`, `world`) into a test module to use them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from goods import furniture_payload
from landport.enterprises.model import Actor, Role
from landport.shared.clock import FixedClock
from tracks import T0
from world import World

PLATE = "藏D12345"  # the plate of the builders' declaration
YARDMAN = Actor("yardman", Role.YARD_OPERATOR)

MakeWorld = Callable[..., World]


@pytest.fixture
def make_world(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[MakeWorld]:
    worlds: list[World] = []

    def make(layout: dict[str, Any] | None = None, clock: Any = None) -> World:
        reference = tmp_path / f"reference-{len(worlds)}"
        reference.mkdir()
        if layout is not None:
            (reference / "yard.json").write_text(json.dumps(layout), encoding="utf-8")
        monkeypatch.setenv("LANDPORT_REFERENCE_DIR", str(reference))
        w = World(database_url, clock=clock or FixedClock(T0))
        w.without_random_selection()
        w.add_user("yardman", "yard_operator")
        worlds.append(w)
        return w

    yield make
    for w in worlds:
        w.close()


@pytest.fixture
def world(make_world: MakeWorld) -> World:
    return make_world()


def declared(w: World, payload: dict[str, Any], status: str = "released") -> dict[str, Any]:
    declaration: dict[str, Any] = w.lodge(payload, submit=True).json()
    assert declaration["status"] == status, declaration
    return declaration


def pre_advised(w: World, declaration: dict[str, Any], plate: str = PLATE) -> dict[str, Any]:
    body = {"declaration_id": declaration["id"], "plate": plate}
    response = w.post("exporter", "/api/v1/visits", body)
    assert response.status_code == 201, response.text
    visit: dict[str, Any] = response.json()
    return visit


def arm_seal(w: World, declaration_id: str, seal_id: str = "EL-0042") -> None:
    seal = {"seal_id": seal_id, "vendor": "generic", "protocol": "json-mqtt", "secret": "k" * 20}
    assert w.post("officer", "/api/v1/seals", seal).status_code == 201
    trip = {"seal_id": seal_id, "declaration_id": declaration_id, "route_id": "shigatse-gyirong"}
    armed = w.post("officer", "/api/v1/trips", trip)
    assert armed.status_code == 201, armed.text


def move(w: World, visit_id: str, *steps: str) -> Any:
    response = None
    for step in steps:
        response = w.post("yardman", f"/api/v1/visits/{visit_id}/move", {"to": step})
        assert response.status_code == 200, response.text
    return response


def codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def parked_truck(w: World, plate: str, seal_id: str) -> dict[str, Any]:
    """A green-lane truck through the gate, dispatched, sealed and parked: its departure is
    planned by the parking. Returns the parking answer."""
    declaration = declared(w, furniture_payload(vehicle_plate=plate))
    visit = pre_advised(w, declaration, plate)
    assert w.post("yardman", "/api/v1/gate/in", {"plate": plate}).status_code == 200
    sent = w.post("yardman", f"/api/v1/visits/{visit['id']}/dispatch")
    assert sent.status_code == 200, sent.text
    arm_seal(w, declaration["id"], seal_id)
    parked = w.post("yardman", f"/api/v1/visits/{visit['id']}/parking")
    assert parked.status_code == 200, parked.text
    answer: dict[str, Any] = parked.json()
    return answer
