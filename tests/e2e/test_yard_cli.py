"""`landport yard` as an operator runs it: one truck from the gate to its trip, both engines.

The exporter and the customs officer act through the API of a world on the same database;
the yard operator acts only through the command line (a subprocess, as in a shell).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from goods import furniture_payload
from landport.shared.clock import SystemClock
from yard_world import PLATE, MakeWorld, arm_seal, declared, make_world, pre_advised

__all__ = ["make_world"]  # the fixture the test below uses

LANDPORT = str(Path(sys.executable).with_name("landport"))


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDPORT_DATABASE__URL": url}
    return subprocess.run(
        [LANDPORT, "yard", *args], env=env, capture_output=True, text=True, timeout=120
    )


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def test_a_yard_operator_follows_a_truck_from_the_gate_to_its_trip_on_the_command_line(
    make_world: MakeWorld, database_url: str
) -> None:
    w = make_world(clock=SystemClock())
    declaration = declared(w, furniture_payload())
    visit_id = pre_advised(w, declaration)["id"]

    unknown = cli(database_url, "gate-in", "藏A99999")
    assert unknown.returncode == 2 and "not pre-advised" in unknown.stderr
    assert as_json(cli(database_url, "gate-in", PLATE, "--json"))["status"] == "gated_in"
    twice = cli(database_url, "gate-in", PLATE)
    assert twice.returncode == 2 and "already inside" in twice.stderr

    sent = as_json(cli(database_url, "dispatch", visit_id, "--json"))
    assert sent["status"] == "decided" and sent["dispatch"]["station"] is None
    arm_seal(w, declaration["id"])
    parked = as_json(cli(database_url, "park", visit_id, "--json"))
    assert parked["status"] == "departure_scheduled" and parked["departure"]["reason_zh"]
    held = cli(database_url, "hold", visit_id, "--kind", "yard", "--reason", "damaged tyre")
    assert held.returncode == 0 and "damaged tyre" in held.stdout

    refused = cli(database_url, "gate-out", PLATE)
    assert refused.returncode == 1
    assert "yard_hold" in refused.stdout and "fees_unpaid" in refused.stdout
    blockers = json.loads(cli(database_url, "gate-out", PLATE, "--json").stdout)["blockers"]
    assert [b["code"] for b in blockers] == ["yard_hold", "fees_unpaid"]

    hold_id = w.get("yardman", f"/api/v1/visits/{visit_id}").json()["holds"][0]["id"]
    lift = w.post("yardman", f"/api/v1/visits/{visit_id}/holds/{hold_id}/lift", {})
    assert lift.status_code == 200
    assert cli(database_url, "fees-paid", visit_id).returncode == 0
    left = as_json(cli(database_url, "gate-out", PLATE, "--json"))
    assert left["status"] == "on_trip"

    listed = as_json(cli(database_url, "visits", "--status", "on_trip", "--json"))
    assert [v["id"] for v in listed["items"]] == [visit_id]
    shown = cli(database_url, "show", visit_id)
    assert shown.returncode == 0 and "on_trip" in shown.stdout and "离场" in shown.stdout
    assert as_json(cli(database_url, "plan-departures", "--json"))["planned"] == []
    layout = cli(database_url, "layout")
    assert layout.returncode == 0 and "nii-portal-1" in layout.stdout
