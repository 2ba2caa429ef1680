"""`POST /api/v1/declarations/check`: the rules of lodging, answered without keeping anything.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from goods import furniture_payload, primary_lithium_payload
from world import World

CHECK = "/api/v1/declarations/check"


def footprint(w: World) -> tuple[int, int]:
    """How many declarations and audit entries the port keeps."""
    declarations = w.get("officer", "/api/v1/declarations").json()["total"]
    audit = len(w.get("auditor", "/api/v1/audit", params={"limit": 1000}).json()["items"])
    return declarations, audit


def broken() -> dict[str, Any]:
    payload = furniture_payload(exit_port="kathmandu-airport")
    payload.pop("gross_kg")
    payload["items"][0]["hs_code"] = "94036"
    return payload


def test_a_sound_declaration_checks_valid_and_nothing_is_kept(world: World) -> None:
    before = footprint(world)
    answer = world.post("exporter", CHECK, furniture_payload())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"valid": True, "errors": [], "warnings": []}
    assert footprint(world) == before


def test_a_broken_declaration_lists_the_same_errors_lodging_refuses_with(world: World) -> None:
    before = footprint(world)
    checked = world.post("exporter", CHECK, broken())
    assert checked.status_code == 200 and checked.json()["valid"] is False
    errors = checked.json()["errors"]
    lodged = world.lodge(broken())
    assert lodged.status_code == 422
    assert [(e["field"], e["code"]) for e in errors] == [
        (e["field"], e["code"]) for e in lodged.json()["errors"] if e["severity"] == "error"
    ]
    fields = {e["field"] for e in errors}
    assert {"exit_port", "items[0].hs_code"} <= fields
    assert all(e["message_en"] and e["message_zh"] for e in errors)
    assert footprint(world) == before


def test_a_warning_does_not_make_a_declaration_invalid(world: World) -> None:
    payload = primary_lithium_payload()
    payload["items"][0]["name"] = "锂离子电池 lithium-ion cells"  # ion name under 8506.50
    answer = world.post("exporter", CHECK, payload).json()
    assert answer["valid"] is True and answer["errors"] == []
    assert [w["code"] for w in answer["warnings"]] == ["lithium_heading_mismatch"]
    assert set(answer["warnings"][0]) >= {"field", "code", "message_en", "message_zh"}


def test_only_declarants_may_check(world: World) -> None:
    for user in ("officer", "admin", "auditor", "border"):
        assert world.post(user, CHECK, furniture_payload()).status_code == 403
    assert world.client.post(CHECK, json=furniture_payload()).status_code == 401


def test_the_transport_modes_and_trade_terms_a_declarant_picks_have_chinese_names(
    world: World,
) -> None:
    modes = world.get("exporter", "/api/v1/reference/transport_modes").json()["items"]
    terms = world.get("exporter", "/api/v1/reference/trade_terms").json()["items"]
    assert all(e["name_zh"] and e["confidence"] in ("sourced", "approximate") for e in modes)
    assert all(e["name_zh"] and e["confidence"] in ("sourced", "approximate") for e in terms)
    assert {e["code"]: e["name_zh"] for e in modes}["4"] == "公路运输"
    assert {e["code"]: e["name_zh"] for e in terms}["3"].startswith("离岸价")
