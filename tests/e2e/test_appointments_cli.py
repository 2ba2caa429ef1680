"""`landport appointments`, run as an operator would: a subprocess on the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from goods import furniture_payload
from landport.shared.clock import BEIJING
from world import World

LANDPORT = str(Path(sys.executable).with_name("landport"))


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDPORT_DATABASE__URL": url}
    return subprocess.run(
        [LANDPORT, "appointments", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def as_json(url: str, *args: str) -> Any:
    done = run(url, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def port(database_url: str) -> Iterator[tuple[World, str]]:
    w = World(database_url)
    w.without_random_selection()
    yield w, database_url
    w.close()


def test_an_operator_books_lists_and_cancels_from_the_shell(port: tuple[World, str]) -> None:
    world, url = port
    declaration = world.lodge(furniture_payload(), submit=True).json()["id"]
    made = as_json(
        url, "book", "--declaration", declaration, "--resource", "exam-bay-1", "--earliest"
    )
    assert made["status"] == "booked"
    day = made["slot_start_beijing"][:10]
    assert [a["id"] for a in as_json(url, "list", "--date", day)["items"]] == [made["id"]]
    free = as_json(url, "capacity", "--date", day)["resources"]
    bay = next(r for r in free if r["resource_id"] == "exam-bay-1")
    assert sum(h["booked"] for h in bay["hours"]) == 1
    assert as_json(url, "cancel", made["id"])["status"] == "cancelled"
    assert as_json(url, "sweep-no-shows") == {"no_shows": [], "arrived": [], "expired": []}


def test_the_list_shows_the_latest_appointments_and_counts_them_all(
    port: tuple[World, str],
) -> None:
    world, url = port
    made = []
    week = (datetime.now(BEIJING) + timedelta(days=7)).date()  # within the booking horizon
    for day in (week + timedelta(days=2), week, week + timedelta(days=1)):
        declaration = world.lodge(furniture_payload(), submit=True).json()["id"]
        at = f"{day.isoformat()}T14:00"
        booked = as_json(
            url, "book", "--declaration", declaration, "--resource", "exam-bay-1", "--at", at
        )
        made.append(booked["id"])
    latest = as_json(url, "list", "--limit", "2")
    assert latest["total"] == 3
    assert [a["id"] for a in latest["items"]] == [made[2], made[0]]  # the two latest days
    table = run(url, "list", "--limit", "1")
    assert table.returncode == 0 and "1 of 3" in table.stdout


def test_a_refused_booking_names_the_rule_in_both_languages(port: tuple[World, str]) -> None:
    world, url = port
    declaration = world.lodge(furniture_payload(), submit=True).json()["id"]
    day = (datetime.now(BEIJING) + timedelta(days=7)).date()
    at = f"{day.isoformat()}T13:00"  # Beijing lunch break: the bay is closed
    done = run(url, "book", "--declaration", declaration, "--resource", "exam-bay-1", "--at", at)
    assert done.returncode == 2
    assert "slot_start" in done.stderr and done.stdout == ""
    assert "only for the local hours" in done.stderr and "仅接受" in done.stderr
    assert as_json(url, "list")["total"] == 0


def test_the_rules_print_in_both_languages(port: tuple[World, str]) -> None:
    _, url = port
    rule = as_json(url, "rules")
    assert rule["code"] == "no_show_priority_loss" and "爽约" in rule["text_zh"]
    table = run(url, "rules")
    assert table.returncode == 0 and "no_show_limit" in table.stdout
