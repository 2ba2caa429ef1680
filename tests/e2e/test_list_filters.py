"""A misspelt list filter is refused with the field named in both languages, not an empty list."""

from __future__ import annotations

import pytest

from world import World


@pytest.mark.parametrize(
    ("path", "example"),
    [("/api/v1/visits", "gated_in"), ("/api/v1/appointments", "no_show")],
)
def test_an_unknown_status_filter_is_refused_naming_the_field(
    world: World, path: str, example: str
) -> None:
    refused = world.get("officer", f"{path}?status=gated-in")
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "status" and error["code"] == "unknown_status"
    assert example in error["message_en"] and "状态须为" in error["message_zh"]
    listed = world.get("officer", f"{path}?status={example}")
    assert listed.status_code == 200 and listed.json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "field", "misspelt", "example", "name_zh"),
    [
        ("/api/v1/declarations", "status", "bogus", "document_check", "状态须为"),
        ("/api/v1/declarations", "lane", "purple", "red", "通道须为"),
        ("/api/v1/trips", "state", "bogus", "en_route", "状态须为"),
        ("/api/v1/declarations", "exit_port", "mars", "gyirong-port", "出境口岸须为"),
        ("/api/v1/trips", "exit_port", "mars", "gyirong-port", "出境口岸须为"),
    ],
)
@pytest.mark.parametrize("user", ["officer", "exporter"])
def test_declarations_and_trips_refuse_an_unknown_filter_value_too(
    world: World, path: str, field: str, misspelt: str, example: str, name_zh: str, user: str
) -> None:
    refused = world.get(user, path, params={field: misspelt})
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert (error["field"], error["code"]) == (field, f"unknown_{field}")
    assert example in error["message_en"] and name_zh in error["message_zh"]
    listed = world.get(user, path, params={field: example})
    assert listed.status_code == 200 and listed.json()["total"] == 0
    assert world.get(user, path, params={field: ""}).status_code == 200  # no filter
