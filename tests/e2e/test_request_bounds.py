"""Numbers, days and stream ids beyond what the port stores are refused naming the field (422,
both languages), or, for a stream's Last-Event-ID, ignored; never a server error. On SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from goods import furniture_payload
from landport.entrypoints.web.routers import events
from world import World

HUGE = "99999999999999999999"  # past a 64-bit integer


def only_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_input"
    [error] = body["errors"]
    assert error["message_en"] and error["message_zh"]
    return dict(error)


@pytest.mark.parametrize(
    ("method", "path", "field", "limit"),
    [
        ("GET", f"/api/v1/declarations?page={HUGE}", "page", "1000000"),
        ("GET", f"/api/v1/trips?page={HUGE}", "page", "1000000"),
        ("GET", f"/api/v1/alerts?page={HUGE}", "page", "1000000"),
        ("GET", f"/api/v1/audit?after_seq={HUGE}", "after_seq", str(2**63 - 1)),
        ("GET", f"/api/v1/risk/rulesets/{HUGE}", "version", str(2**31 - 1)),
        ("POST", f"/api/v1/alerts/{HUGE}/acknowledge", "alert_id", str(2**31 - 1)),
        ("POST", f"/api/v1/alerts/{HUGE}/resolve", "alert_id", str(2**31 - 1)),
    ],
)
def test_a_number_past_what_the_port_stores_is_refused_naming_the_field(
    world: World, method: str, path: str, field: str, limit: str
) -> None:
    user = "officer" if method == "POST" else "admin"
    if method == "POST":
        response = world.post(user, path, {"reason": "checked"})
    else:
        response = world.get(user, path)
    error = only_error(response)
    assert (error["field"], error["code"]) == (field, "less_than_equal")
    assert limit in error["message_en"]
    assert error["message_zh"] == f"字段 {field} 不得大于 {limit}"


def test_the_largest_numbers_allowed_are_answered(world: World) -> None:
    """At the bounds: a page far past the end is empty, an id nobody has is 404."""
    for path in ("/api/v1/declarations", "/api/v1/trips", "/api/v1/alerts"):
        page = world.get("admin", path, params={"page": 1_000_000, "page_size": 200})
        assert page.status_code == 200 and page.json()["items"] == [], page.text
    audit = world.get("admin", "/api/v1/audit", params={"after_seq": 2**63 - 1})
    assert audit.status_code == 200 and audit.json()["items"] == []
    top = 2**31 - 1
    assert world.get("admin", f"/api/v1/risk/rulesets/{top}").status_code == 404
    for action in ("acknowledge", "resolve"):
        handled = world.post("officer", f"/api/v1/alerts/{top}/{action}", {"reason": "checked"})
        assert handled.status_code == 404, handled.text
    zero = only_error(world.get("admin", "/api/v1/risk/rulesets/0"))
    assert (zero["field"], zero["code"]) == ("version", "greater_than_equal")


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_a_report_day_beyond_the_years_the_port_keeps_is_refused(world: World, day: str) -> None:
    error = only_error(world.get("officer", "/api/v1/reports/time-release", params={"date": day}))
    assert (error["field"], error["code"]) == ("date", "date_out_of_range")
    assert error["message_zh"] == "字段 date 须为 2000-01-01 至 2100-12-31 之间的日期"


def test_report_days_at_the_bounds_are_answered(world: World) -> None:
    for day in ("2000-01-01", "2100-12-31"):
        report = world.get("officer", "/api/v1/reports/time-release", params={"date": day})
        assert report.status_code == 200 and report.json()["date"] == day


@pytest.mark.parametrize(
    ("field", "moment"),
    [
        ("created_from", "0001-01-01T00:00:00+05:00"),
        ("created_to", "9999-12-31T23:00:00-05:00"),
        ("created_from", "1999-12-31T23:59:59+00:00"),
    ],
)
def test_a_listing_time_beyond_the_years_is_refused(world: World, field: str, moment: str) -> None:
    error = only_error(world.get("officer", "/api/v1/declarations", params={field: moment}))
    assert (error["field"], error["code"]) == (field, "datetime_out_of_range")
    assert "2000" in error["message_zh"] and "2100" in error["message_zh"]


# --- the live stream's Last-Event-ID -------------------------------------------------------


@pytest.fixture
def short_streams(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Streams that end at once after sending what is queued, so a test can read them whole."""
    monkeypatch.setattr(events, "STREAM_LIFETIME_S", 0.3)
    monkeypatch.setattr(events, "KEEPALIVE_S", 0.05)
    yield


def stream_ids(world: World, last_event_id: str | bytes | None) -> list[int]:
    headers: dict[str, str | bytes] = {**world.headers("officer")}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    response = world.client.get("/api/v1/events/stream", headers=headers)
    assert response.status_code == 200, response.text
    assert response.text.startswith("retry: 1000\n")
    return [int(line[4:]) for line in response.text.splitlines() if line.startswith("id: ")]


def test_a_usable_last_event_id_resumes_after_it(world: World, short_streams: None) -> None:
    assert world.lodge(furniture_payload(), submit=True).status_code == 201
    sent = stream_ids(world, "0")
    assert len(sent) >= 2 and sent == sorted(sent)
    assert stream_ids(world, str(sent[0])) == sent[1:]
    assert stream_ids(world, None) == []  # a first connection starts from now


@pytest.mark.parametrize(
    "garbage",
    [
        "9" * 5000,  # too many digits for int() to read
        "9" * 20,  # longer than any id this server sends
        "²".encode("latin-1"),  # a digit to str.isdigit, not to int()
        "-1",
        "12abc",
        "",
    ],
)
def test_an_unusable_last_event_id_starts_from_now(
    world: World, short_streams: None, garbage: str | bytes
) -> None:
    assert world.lodge(furniture_payload(), submit=True).status_code == 201
    assert stream_ids(world, garbage) == []
