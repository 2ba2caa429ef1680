"""What no route refuses itself: bodies too large, not UTF-8, or holding text that cannot be
stored as sent, are refused before any route runs (413 or 422, both languages, the field
named) and change nothing; the framework's own 404 and 405 speak both languages too. On
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from goods import furniture_payload
from world import World

JSON = {"Content-Type": "application/json"}


def declarations(world: World) -> int:
    return int(world.get("exporter", "/api/v1/declarations").json()["total"])


def audit_entries(world: World) -> int:
    return len(world.get("auditor", "/api/v1/audit", params={"limit": 1000}).json()["items"])


def post_raw(world: World, user: str, path: str, body: bytes) -> Any:
    return world.client.post(path, content=body, headers={**world.headers(user), **JSON})


@pytest.mark.parametrize(
    ("text", "code_point"),
    [
        ("wooden \\ud800 furniture", "U+D800"),  # a lone surrogate: no UTF-8 for it
        ("wooden \\u0000 furniture", "U+0000"),  # NUL: PostgreSQL keeps none in text
        ("wooden \\u202e erutinruf", "U+202E"),  # shown reversed, stored otherwise
        ("wooden \\b furniture", "U+0008"),
    ],
)
def test_text_that_cannot_be_stored_as_sent_is_refused_naming_the_field(
    world: World, text: str, code_point: str
) -> None:
    before = (declarations(world), audit_entries(world))
    payload = furniture_payload()
    payload["items"][0]["name"] = "@@NAME@@"
    body = json.dumps(payload).replace("@@NAME@@", text).encode()
    refused = post_raw(world, "exporter", "/api/v1/declarations?submit=true", body)
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("items.0.name", "unstorable_character")
    assert code_point in error["message_en"] and code_point in error["message_zh"]
    assert "控制字符" in error["message_zh"]
    assert (declarations(world), audit_entries(world)) == before
    fine = json.dumps(payload).replace("@@NAME@@", "wooden\\tfurniture \\u6728").encode()
    lodged = post_raw(world, "exporter", "/api/v1/declarations?submit=true", fine)
    assert lodged.status_code == 201, lodged.text  # tabs and escaped Chinese are text


def test_a_body_that_is_not_utf8_or_not_json_is_refused_in_both_languages(world: World) -> None:
    latin = post_raw(world, "exporter", "/api/v1/declarations", b'{"remarks": "caf\xe9"}')
    assert latin.status_code == 422, latin.text
    (error,) = latin.json()["errors"]
    assert (error["field"], error["code"]) == ("body", "not_utf8")
    assert "UTF-8" in error["message_zh"]
    broken = post_raw(world, "exporter", "/api/v1/declarations", b'{"a":')
    assert broken.status_code == 422, broken.text
    (error,) = broken.json()["errors"]
    assert (error["field"], error["code"]) == ("body", "json_invalid")
    assert error["message_zh"] == "请求体不是有效的 JSON"


def test_a_body_past_the_limit_is_refused_before_any_route_reads_it(world: World) -> None:
    before = declarations(world)
    padded = {**furniture_payload(), "remarks": "x" * (3 * 1024 * 1024)}
    refused = post_raw(world, "exporter", "/api/v1/declarations/check", json.dumps(padded).encode())
    assert refused.status_code == 413, refused.text
    body = refused.json()
    assert body["code"] == "body_too_large" and "2 MB" in body["message_zh"]
    assert declarations(world) == before


def test_an_unknown_address_or_method_is_answered_in_both_languages(world: World) -> None:
    missing = world.get("officer", "/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found" and missing.json()["message_zh"]
    wrong = world.client.delete("/api/v1/health")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed" and wrong.json()["message_zh"]


def test_a_request_error_names_the_field_not_the_validators_member(world: World) -> None:
    """`slot_start` takes a time or "earliest": a wrong value is about slot_start, in
    Chinese without the validator's English."""
    refused = world.post(
        "exporter",
        "/api/v1/appointments",
        {"declaration_id": "x", "resource_id": "gate-in-1", "slot_start": "tomorrow"},
    )
    assert refused.status_code == 422, refused.text
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {"slot_start"}
    assert all("Input should" not in e["message_zh"] for e in refused.json()["errors"])


def test_an_api_key_with_a_misspelt_field_is_refused_not_issued_unbound(world: World) -> None:
    body = {"name": "cam-in-1", "role": "yard_operator", "gate": "gate-in-1"}
    refused = world.post("admin", "/api/v1/api-keys", body)
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("gate", "extra_forbidden")
    assert error["message_zh"] == "不接受字段 gate"
    assert world.get("admin", "/api/v1/api-keys").json()["items"] == []
