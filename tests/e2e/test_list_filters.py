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
