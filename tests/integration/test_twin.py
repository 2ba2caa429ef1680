"""The digital twin drives the real rules: a short seeded run, checked against bounds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from landport.adapters.db import tables as t
from landport.simulation.runner import run_simulation
from landport.simulation.scenario import (
    INCIDENT_KINDS,
    BorderClosure,
    IncidentRate,
    Scenario,
    default_scenario_path,
    load_scenario,
)

LANDPORT = str(Path(sys.executable).with_name("landport"))


def scaled_day(trucks: int, incidents_per_day: float, newcomers: float = 0.03) -> Scenario:
    """The default port with fewer trucks and many more incidents, to keep CI short."""
    rates = tuple(IncidentRate(kind, incidents_per_day) for kind in INCIDENT_KINDS)
    return replace(
        load_scenario(), trucks_per_day=trucks, incidents=rates, new_exporter_share=newcomers
    )


@pytest.fixture(scope="module")
def day() -> dict[str, Any]:
    return run_simulation(scaled_day(40, 3.0, newcomers=0.25), days=1, seed=11)


def test_the_twin_handles_every_truck_that_arrives(day: dict[str, Any]) -> None:
    assert day["trucks_declared"] == 40
    assert day["trucks_arrived"] >= 35
    assert day["trucks_handled"] + day["trucks_shut_out"] == day["trucks_arrived"]
    assert day["refusals"] == {}  # the real rules accepted every step the twin took
    assert day["released_at_border"] + day["referred_at_border"] == day["trucks_handled"]
    assert day["trucks_not_across"] == 0
    assert set(day["per_lane"]) <= {"green", "blue", "yellow", "red"}
    assert len(day["per_lane"]) >= 3


def test_goods_refused_at_examination_go_back_inland_through_the_real_gate(
    tmp_path: Path,
) -> None:
    """Every red-lane scan suspicious, half the examinations refuse the goods: those trucks
    leave by the exit gate as shut out, unsealed; the others carry on to the border."""
    refusing = replace(
        load_scenario(),
        trucks_per_day=30,
        incidents=(),
        random_red_rate=(0.4, 0.4),
        suspicious_scan_rate=1.0,
        refused_share=0.5,
    )
    url = f"sqlite:///{tmp_path / 'refusing.db'}"
    run = run_simulation(refusing, days=1, seed=5, drain_days=3.0, database_url=url)
    assert run["refusals"] == {}  # the gate let every refused truck out, nothing else
    assert run["trucks_shut_out"] >= 1
    assert run["trucks_handled"] + run["trucks_shut_out"] == run["trucks_arrived"]
    assert run["released_at_border"] + run["referred_at_border"] == run["trucks_handled"]
    visits, declarations = t.metadata.tables["truck_visits"], t.declarations
    with create_engine(url).connect() as db:
        shut_out = db.execute(
            select(declarations.c.status, func.count())
            .join(visits, visits.c.declaration_id == declarations.c.id)
            .where(visits.c.status == "shut_out")
            .group_by(declarations.c.status)
        ).all()
        inside = db.scalar(
            select(func.count()).where(visits.c.status.notin_(["shut_out", "on_trip"]))
        )
    assert shut_out == [("rejected", run["trucks_shut_out"])]  # the platform's own record
    assert inside == run["no_shows"]  # nobody left behind in the yard, but the no-shows


def test_newcomers_meet_the_first_time_rules_and_regulars_do_not(day: dict[str, Any]) -> None:
    """A quarter of the trucks come from enterprises new to the port; the regulars have a
    year's history here, so the first-time exporter rule fires for every newcomer and no one
    else."""
    newcomers = day["newcomers"]
    assert 4 <= newcomers["declared"] <= 18
    handled = sum(newcomers["per_lane"].values())
    assert 0 < handled <= newcomers["declared"]
    assert day["rules_fired"]["R-FIRST-TIME"] == newcomers["declared"]


def test_green_lane_trucks_clear_in_two_to_three_minutes_of_handling(
    day: dict[str, Any],
) -> None:
    assert 2.0 <= day["green_clearance_p50_min"] <= 3.0
    assert day["green_clearance_max_min"] <= 3.0


def test_every_injected_incident_is_detected_and_clean_trips_raise_no_alert(
    day: dict[str, Any],
) -> None:
    assert day["incidents_injected"] >= 5
    assert day["missed"] == []
    assert day["incidents_detected"] == day["incidents_injected"]
    assert day["false_alerts"] == 0
    assert day["recall"] == 1.0 and day["precision"] == 1.0


def test_monitoring_officers_acknowledge_and_resolve_every_alert(day: dict[str, Any]) -> None:
    scenario = load_scenario()
    raised = day["alerts_raised"]
    assert raised >= 5
    outcomes = day["alert_desk_outcomes"]
    # Each alert was acknowledged, unless the track closed it before an officer got to it.
    assert day["alerts_acknowledged"] + outcomes.get("closed_before_acknowledged", 0) == raised
    assert day["alerts_acknowledged"] >= raised - 1
    assert not [k for k in outcomes if k.startswith("refused")]
    # Nothing is left unanswered: resolved by an officer, or closed by the track meanwhile.
    assert day["alerts_left_open"] == 0
    assert set(day["alert_states"]) <= {"resolved", "closed"}
    assert day["alerts_resolved"] == day["alert_states"].get("resolved", 0)
    assert day["alerts_resolved"] + day["alert_states"].get("closed", 0) == raised
    # A seal opening or a tamper alarm is confirmed, never explained away.
    kinds = day["alerts_by_kind"]
    breaches = kinds.get("seal_opened", 0) + kinds.get("tamper", 0)
    assert breaches >= 1 and day["alert_findings"]["confirmed"] == breaches
    # The border still refers the breached trips: resolving an alert is not a release.
    assert (
        day["referral_reasons"].get("no_tamper", 0) + day["referral_reasons"].get("seal_locked", 0)
        >= breaches
    )
    assert "no_open_alerts" not in day["referral_reasons"]
    low, _, high = scenario.acknowledge_minutes
    assert low <= day["alert_ack_p50_min"] <= high + 1.0  # the desk looks once a minute
    assert day["alert_ack_p50_min"] <= day["alert_resolve_p50_min"]
    assert day["alert_resolve_p50_min"] >= scenario.resolve_minutes[0] + low


def test_time_release_and_utilisation_are_reported(day: dict[str, Any]) -> None:
    tr = day["time_release"]
    # the road takes the two days the yard plans with, nights at rest stops (no alert: see
    # false alerts), and the driver reaches the border for its opening, not the night before
    assert 36 * 60 <= tr["road"]["p50_min"] <= 56 * 60
    assert tr["border"]["p50_min"] < 60
    assert tr["clearance"]["p50_min"] <= tr["clearance"]["p90_min"]
    # the trucks stopped for documents, a scan or a bay take longer than all trucks together
    inspected = tr["clearance_inspected"]
    assert 0 < inspected["p50_min"] <= inspected["p90_min"]
    assert inspected["p90_min"] >= tr["clearance"]["p90_min"]
    assert 0 < day["utilisation"]["scan_lane"] < 1
    assert day["telemetry_messages"] > 40 * 300  # a fix a minute on the road
    assert day["sim_days_per_wall_s"] > 0


def test_the_twin_runs_on_either_engine_and_repeats_with_its_seed(database_url: str) -> None:
    small = scaled_day(8, 0.0)
    first = run_simulation(small, days=1, seed=3, database_url=database_url, drain_days=2.5)
    again = run_simulation(small, days=1, seed=3, drain_days=2.5)
    assert first["trucks_handled"] >= 6
    for key in ("trucks_handled", "per_lane", "per_border_port", "green_clearance_p50_min"):
        assert first[key] == again[key], key
    assert first["false_alerts"] == 0


def test_configurations_with_one_seed_get_the_same_trucks() -> None:
    """Common random numbers: the arrivals, each truck's cargo, port and no-show, and its
    service times come from streams of their own, so that a second day's trucks do not
    depend on how the first day's queues went, and a sweep compares like with like."""
    small = scaled_day(10, 0.0)
    runs = [
        run_simulation(replace(small, scan_lanes=lanes, sealing_stations=lanes), days=2, seed=5,
                       drain_days=1.5)
        for lanes in (1, 3)
    ]  # fmt: skip
    for key in ("trucks_declared", "no_shows", "per_cargo", "per_border_port", "newcomers"):
        assert runs[0][key] == runs[1][key], key
    assert runs[0]["trucks_declared"] == 20
    assert runs[0]["utilisation"]["sealing"] > runs[1]["utilisation"]["sealing"]  # what changed


def test_a_border_closure_holds_its_trucks_and_moves_their_departures(tmp_path: Path) -> None:
    """Gyirong closes on 3 March and again on 5 March, both announced at 06:00 on 3 March:
    released trucks bound for it wait unsealed while it is closed (no seal for a closed
    border), and trucks parked to arrive on the 5th are re-planned by the platform and leave
    at the new time; nothing is refused or lost."""
    base = replace(scaled_day(12, 0.0), border_share={"gyirong-port": 1.0})
    closures = (
        BorderClosure("gyirong-port", from_day=1, days=1, announced_day=1, reason="snow"),
        BorderClosure("gyirong-port", from_day=3, days=1, announced_day=1, reason="landslide"),
    )
    url = f"sqlite:///{tmp_path / 'closed.db'}"
    closed = run_simulation(
        replace(base, closures=closures), days=2, seed=4, drain_days=3.0, database_url=url
    )
    assert [(c["from"], c["to"]) for c in closed["border_closures"]] == [
        ("2026-03-03", "2026-03-03"), ("2026-03-05", "2026-03-05"),
    ]  # fmt: skip
    assert all(c["announced"].startswith("2026-03-03T06:00") for c in closed["border_closures"])
    assert closed["refusals"] == {}
    assert closed["trucks_held_for_closure"] >= 3
    assert closed["released_at_border"] + closed["referred_at_border"] == closed["trucks_handled"]
    steps, visits = t.metadata.tables["visit_steps"], t.metadata.tables["truck_visits"]
    with create_engine(url).connect() as db:
        moved = db.scalar(
            select(func.count()).where(steps.c.reason.like("%moved: gyirong-port closed%"))
        )
        left = db.execute(
            select(steps.c.at, visits.c.departure_at)
            .join(visits, visits.c.id == steps.c.visit_id)
            .where(steps.c.status == "gated_out")
        ).all()
    assert moved >= 1  # parked trucks' departures re-planned by the platform ...
    assert len(left) == closed["trucks_handled"]
    assert all(at == planned for at, planned in left)  # ... and each left at its last plan
    opened = run_simulation(base, days=2, seed=4, drain_days=3.0)
    assert opened["trucks_held_for_closure"] == 0 and opened["border_closures"] == []
    segment = "sealing"  # from the decision to the seal: the held trucks' wait
    assert (
        closed["time_release"][segment]["p90_min"] > 10 * opened["time_release"][segment]["p90_min"]
    )


def test_a_closure_known_from_the_start_plans_around_it_and_holds_no_seal_later() -> None:
    """Announced on day 0 (a holiday on the calendar): the platform has it before the first
    truck, so it is announced at the run's start and trucks are planned around it."""
    base = replace(scaled_day(8, 0.0), border_share={"zhangmu-port": 1.0})
    holiday = BorderClosure("zhangmu-port", from_day=2, days=1, announced_day=0, reason="holiday")
    run = run_simulation(replace(base, closures=(holiday,)), days=1, seed=6, drain_days=3.0)
    (announced,) = run["border_closures"]
    assert announced["announced"].startswith("2026-03-02T00:00")  # at the start
    assert announced["from"] == "2026-03-04" and run["refusals"] == {}
    assert run["trucks_held_for_closure"] == 0  # nobody is sealed on the closed day


def test_a_scenario_can_publish_its_own_random_selection() -> None:
    """`risk.random_red_rate` is published by the port administrator as a ruleset version,
    checked by the real validator: a floor of one half sends about half the trucks red."""
    small = scaled_day(16, 0.0)
    strict = run_simulation(replace(small, random_red_rate=(0.5, 0.5)), days=1, seed=8,
                            drain_days=1.0)  # fmt: skip
    usual = run_simulation(small, days=1, seed=8, drain_days=1.0)
    assert strict["per_lane"].get("red", 0) >= 4
    assert strict["per_lane"].get("red", 0) > usual["per_lane"].get("red", 0)


def _scenario_file(tmp_path: Path, trucks: int) -> Path:
    text = default_scenario_path().read_text(encoding="utf-8")
    text = re.sub(r"^trucks_per_day = .*$", f"trucks_per_day = {trucks}", text, flags=re.M)
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _landport(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LANDPORT, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_simulate_prints_one_json_object_and_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "twin.html"
    done = _landport(
        "simulate",
        str(_scenario_file(tmp_path, 6)),
        "--days",
        "1",
        "--seed",
        "2",
        "--json",
        "--report",
        str(report),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for key in (
        "trucks_handled",
        "green_clearance_p50_min",
        "incidents_injected",
        "incidents_detected",
        "false_alerts",
        "sim_days_per_wall_s",
        "per_lane",
        "time_release",
        "utilisation",
        "peak_queue",
        "precision",
        "recall",
        "events_per_s",
        "alerts_acknowledged",
        "alerts_resolved",
        "alert_ack_p50_min",
        "alert_resolve_p50_min",
    ):
        assert key in result, key
    assert result["trucks_handled"] >= 4
    assert "<svg" in report.read_text(encoding="utf-8")


def test_every_bad_input_of_a_run_is_named_at_once(tmp_path: Path) -> None:
    done = _landport(
        "simulate", str(tmp_path / "missing.toml"), "--sweep", "parking=0",
        "--database", "nonsense", "--report", str(tmp_path / "no" / "r.html"),
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    said = " ".join(done.stderr.split())
    for named in ("missing.toml", "--sweep parking=0", "--database", "--report"):
        assert named in said, named


def test_simulate_prints_each_figure_whole_on_its_line_when_piped(tmp_path: Path) -> None:
    done = _landport("simulate", str(_scenario_file(tmp_path, 6)), "--days", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    (detection,) = [line for line in lines if line.startswith("incidents injected")]
    assert "precision" in detection and "recall" in detection
    (speed,) = [line for line in lines if line.startswith("speed:")]
    assert re.search(r"simulated days per wall-clock second \(\d+(\.\d+)? days simulated", speed)
    (trucks,) = [line for line in lines if "trucks handled in 1 day(s)" in line]
    assert "referred at the border" in trucks


def test_a_sweep_gives_the_same_rows_side_by_side_as_in_turn(tmp_path: Path) -> None:
    """Side by side (one process per configuration) or one after another, a configuration
    gives the same figures: each run has its own database and the same seed."""
    tiny = str(_scenario_file(tmp_path, 4))
    sweep = ("simulate", tiny, "--sweep", "scan_lanes=1..2", "--sweep", "parking=20,60")
    together = _landport(*sweep, "--json", "--jobs", "2")
    assert together.returncode == 0, together.stderr
    assert json.loads(together.stdout)["jobs"] == 2
    rows = json.loads(together.stdout)["sweep"]
    assert [(r["scan_lanes"], r["parking"]) for r in rows] == [(1, 20), (1, 60), (2, 20), (2, 60)]
    assert all(r["trucks_handled_per_day"] >= 3 for r in rows)
    assert all("inspected_clearance_p90_min" in r for r in rows)
    contract = ("trucks_handled", "green_clearance_p50_min", "incidents_injected")
    contract += ("incidents_detected", "false_alerts", "sim_days_per_wall_s")
    assert all(key in r for r in rows for key in contract)
    assert len({json.dumps(r, sort_keys=True) for r in rows}) == 4
    in_turn = _landport(*sweep, "--json", "--jobs", "1")
    assert in_turn.returncode == 0, in_turn.stderr
    # the same figures; only the speed of each run differs
    speed = "sim_days_per_wall_s"
    again = json.loads(in_turn.stdout)
    assert again["jobs"] == 1 and all(r[speed] > 0 for r in again["sweep"] + rows)
    assert [{k: v for k, v in r.items() if k != speed} for r in again["sweep"]] == [
        {k: v for k, v in r.items() if k != speed} for r in rows
    ]


def test_a_sweep_on_a_given_database_cannot_run_side_by_side(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'given.db'}"
    done = _landport(
        "simulate", str(_scenario_file(tmp_path, 4)), "--sweep", "scan_lanes=1..2",
        "--database", url, "--jobs", "2", "--json",
    )  # fmt: skip
    assert done.returncode == 2
    assert "--jobs" in done.stderr and "逐个运行" in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "given.db").exists()  # refused before any run


def test_a_bad_scenario_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = _scenario_file(tmp_path, 6)
    path.write_text(path.read_text(encoding="utf-8").replace("scan_lanes = 2", "scan_lanes = 0"))
    done = _landport("simulate", str(path), "--json")
    assert done.returncode == 2
    assert "yard.scan_lanes" in done.stderr and "须为" in done.stderr
    assert done.stdout == ""


def test_every_refusal_is_whole_bilingual_and_comes_before_any_run(tmp_path: Path) -> None:
    path = _scenario_file(tmp_path, 6)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        re.sub(r"^scan = .*$", "scan = [3.0, 2.5, 2.0]", text, flags=re.M), encoding="utf-8"
    )
    cases = {
        # a rule with brackets is printed as written, not read as console markup
        ("simulate", str(path)): "须为 [最短, 最常见, 最长]",
        ("simulate", "--days", "0"): "须为 1 至 400 之间的整数",
        ("simulate", "--days", "abc"): "须为 1 至 400 之间的整数",
        ("simulate", "--report", str(tmp_path / "missing" / "r.html")): "不存在",
        ("simulate", "--sweep", "parking=1..1000000000"): "取值须为",
        ("simulate", "--sweep", "parking=1..50", "--sweep", "scan_lanes=1..5"): "一次最多 200",
        ("simulate", "--sweep", "parking=100,100"): "100 重复",
        ("simulate", "--database", "nonsense"): "--database 须为 SQLAlchemy 数据库地址",
        ("simulate", "--database", "nosuchdb://x/y"): "--database 须为 SQLAlchemy 数据库地址",
        ("demo", "--scenario", str(tmp_path / "missing.toml")): "missing.toml",
    }
    for args, chinese in cases.items():
        done = _landport(*args)
        assert done.returncode == 2, args
        bare = "".join(done.stderr.replace("│", "").split())  # as read, however it wrapped
        assert "".join(chinese.split()) in bare, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stdout == ""
    assert "[low, mode, high]" in " ".join(_landport("simulate", str(path)).stderr.split())


def test_the_nightly_retention_bounds_the_positions_and_changes_no_outcome(
    tmp_path: Path,
) -> None:
    """Purging finished trips' old positions (the platform's job, kept-active rule tested in
    test_retention) leaves every figure of the run as it was."""
    small = scaled_day(8, 0.0)
    url = f"sqlite:///{tmp_path / 'retained.db'}"
    purged = run_simulation(
        small, days=1, seed=3, database_url=url, drain_days=2.5, retention=timedelta(hours=36)
    )
    kept = run_simulation(small, days=1, seed=3, drain_days=2.5)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(t.positions)).scalar_one()
    finally:
        engine.dispose()
    assert 0 < stored < purged["telemetry_messages"]
    for key in ("trucks_handled", "per_lane", "per_border_port", "alerts_raised", "false_alerts"):
        assert purged[key] == kept[key], key


def test_a_lot_too_small_shows_as_trucks_waiting_for_a_slot(tmp_path: Path) -> None:
    """Sealed trucks that find the lot full wait in the yard lane: a manager sees how many
    and how long (a lot of one slot a zone for fifteen trucks), not only a full peak."""
    path = _scenario_file(tmp_path, 15)
    small = tmp_path / "small-lot.toml"
    small.write_text(f'base = "{path.name}"\n[yard]\nparking = 3\n', encoding="utf-8")
    done = _landport("simulate", str(small), "--days", "1", "--json")
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    lot = r["parking"]
    assert lot["slots"] in (3, 4) and lot["peak_in_use"] == lot["slots"]  # zones rounded up
    assert lot["trucks_waited"] >= 3 and r["peak_queue"]["parking"] >= 1
    assert r["time_release"]["parking_wait"]["p90_min"] > 60  # hours in the lane, not minutes
    assert 0.2 < r["utilisation"]["parking"] <= 1.0
