"""`sealed=false` lists the released declarations still waiting for an e-lock, all of them
(the customs console pages through it), and an exporter still sees only its own."""

from __future__ import annotations

from typing import Any

from builders import CONSIGNOR_USCC
from goods import furniture_payload
from world import OTHER_USCC, World


def released(world: World, user: str = "exporter", **overrides: Any) -> dict[str, Any]:
    declaration: dict[str, Any] = world.lodge(
        furniture_payload(**overrides), user=user, submit=True
    ).json()
    assert declaration["status"] == "released", declaration
    return declaration


def ids(world: World, user: str, query: str) -> set[str]:
    answer = world.get(user, f"/api/v1/declarations?{query}")
    assert answer.status_code == 200, answer.text
    return {d["id"] for d in answer.json()["items"]}


def test_sealed_false_lists_the_released_declarations_without_an_armed_e_lock(
    world: World,
) -> None:
    seal = {"seal_id": "EL-0042", "vendor": "generic", "protocol": "json-mqtt", "secret": "s" * 24}
    assert world.post("officer", "/api/v1/seals", seal).status_code == 201
    armed, waiting = released(world), released(world)
    theirs = released(world, "competitor", consignor_uscc=OTHER_USCC)
    trip = {"seal_id": "EL-0042", "declaration_id": armed["id"], "route_id": "shigatse-gyirong"}
    assert world.post("officer", "/api/v1/trips", trip).status_code == 201

    assert ids(world, "officer", "status=released&sealed=false") == {waiting["id"], theirs["id"]}
    assert ids(world, "officer", "status=released&sealed=true") == {armed["id"]}
    assert ids(world, "officer", "status=released") == {armed["id"], waiting["id"], theirs["id"]}
    # an exporter asking for another enterprise's still sees only its own
    assert ids(world, "exporter", "status=released&sealed=false") == {waiting["id"]}
    assert ids(world, "competitor", f"sealed=false&enterprise_uscc={CONSIGNOR_USCC}") == {
        theirs["id"]
    }
    paged = world.get("officer", "/api/v1/declarations?status=released&sealed=false&page_size=1")
    assert paged.json()["total"] == 2 and len(paged.json()["items"]) == 1
    refused = world.get("officer", "/api/v1/declarations?sealed=maybe")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "sealed"
