"""The bare queueing model (the speed ceiling), the metrics and the HTML report."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from landport.simulation.bare import BareModel
from landport.simulation.elocks import Incident
from landport.simulation.metrics import (
    RaisedAlert,
    detection,
    false_alert_examples,
    percentile,
)
from landport.simulation.model import TruckRecord
from landport.simulation.report import SWEEP_FIGURES, bar_chart, run_report, sweep_report
from landport.simulation.scenario import load_scenario

T = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_the_bare_model_handles_the_default_day() -> None:
    result = BareModel(load_scenario(), seed=3, days=1).run()
    assert 290 <= result["trucks_handled"] <= 320
    assert result["events"] > 1000


def test_refused_goods_leave_the_bare_model_before_sealing_as_in_the_twin() -> None:
    refusing = replace(load_scenario(), suspicious_scan_rate=1.0, refused_share=1.0)
    clean = BareModel(replace(refusing, refused_share=0.0), seed=3, days=1).run()
    refused = BareModel(refusing, seed=3, days=1).run()
    assert clean["trucks_shut_out"] == 0 and refused["trucks_shut_out"] > 0
    # every red-lane truck is examined and refused: none of them is sealed
    assert refused["trucks_handled"] + refused["trucks_shut_out"] == clean["trucks_handled"]


def test_the_bare_model_is_reproducible_with_a_seed() -> None:
    a = BareModel(load_scenario(), seed=5, days=1).run()
    b = BareModel(load_scenario(), seed=5, days=1).run()
    assert (a["trucks_handled"], a["events"]) == (b["trucks_handled"], b["events"])


def test_one_scan_lane_cannot_clear_450_trucks_in_its_hours_but_the_day_still_ends() -> None:
    busy = replace(load_scenario(), trucks_per_day=450, scan_lanes=1)
    model = BareModel(busy, seed=1, days=1)
    model.run()
    waits = sorted(model.waits)
    assert waits[len(waits) * 9 // 10] > 3 * 3600  # p90 over three hours in the yard


def test_the_twin_reports_the_platforms_percentile_to_two_decimals() -> None:
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9.1
    assert percentile([1.0, 2.0, 2.0 + 1 / 3], 100) == 2.33


def test_an_incident_is_detected_only_by_the_alert_it_should_raise() -> None:
    incidents = [
        Incident("seal_opened", "S1", "shigatse-gyirong", 100.0, trip_id="t1"),
        Incident("route_deviation", "S2", "shigatse-gyirong", 100.0, trip_id="t2"),
    ]
    alerts = [
        RaisedAlert("t1", "seal_opened", "alarm", T),
        RaisedAlert("t2", "low_battery", "warning", T),  # not what a detour raises
        RaisedAlert("t3", "signal_lost", "warning", T),  # a clean trip
    ]
    found = detection(incidents, alerts)
    assert found["incidents_detected"] == 1
    assert found["recall"] == 0.5
    assert found["false_alerts"] == 1
    assert found["precision"] == round(1 / 3, 3)
    assert found["missed"] == [{"kind": "route_deviation", "trip_id": "t2", "at_km": 100.0}]


def test_a_false_alert_comes_with_where_its_truck_was() -> None:
    incidents = [Incident("seal_opened", "S1", "shigatse-gyirong", 100.0, trip_id="t1")]
    alerts = [
        RaisedAlert("t1", "seal_opened", "alarm", T),
        RaisedAlert("t3", "overdue", "warning", T),
        RaisedAlert("t9", "signal_lost", "warning", T),  # no truck known for it
    ]
    sealed = TruckRecord(3, "nev", "zhejiang", "zhangmu-port", False, plate="藏D00003")
    sealed.trip_id, sealed.sealed, sealed.outcome = "t3", T, "cleared"
    found = false_alert_examples([sealed], incidents, alerts)
    assert [(e["trip_id"], e["kind"]) for e in found] == [("t3", "overdue"), ("t9", "signal_lost")]
    assert found[0]["sealed"] == T.isoformat() and found[0]["parked"] is None
    assert found[0]["port"] == "zhangmu-port" and "plate" not in found[1]
    assert false_alert_examples([sealed], incidents, alerts, limit=1) == found[:1]


def test_no_incidents_and_no_alerts_is_perfect() -> None:
    assert detection([], [])["precision"] == 1.0
    assert detection([], [])["recall"] == 1.0


def test_the_report_draws_its_charts_inline_without_any_network() -> None:
    svg = bar_chart("wait", [("gate", (1.0, 2.0)), ("lane", (None, 4.0))], series=("a", "b"))
    assert svg.startswith("<svg") and svg.count("<rect") == 2 + 3
    rows = [
        {
            "scan_lanes": n,
            "parking": 174,
            "trucks_handled_per_day": 300.0,
            "gate_wait_p90_min": 1.0,
            "inspected_clearance_p90_min": 9.0 / n,
            "yard_total_p90_min": 600.0,
            "scan_lane_utilisation": 0.7 / n,
            "trucks_not_across": 0,
        }
        for n in (1, 2, 3)
    ]
    html = sweep_report(rows, ["scan_lanes", "parking"])
    # a figure that stayed at zero says so; one no configuration had, that it has no data
    assert "Sealed, not across when the run ended (0 throughout)" in html
    assert "Released at the border (no data)" in html
    # a bar per configuration in each figure's chart, named by what varies only
    assert html.count("<svg") == len(SWEEP_FIGURES) + 1  # and the line chart along scan lanes
    assert "scan_lanes=3" in html and "parking=174</text>" not in html
    assert "in all of them parking=174" in html
    assert ">3 min</text>" in html and ">10 h</text>" in html  # 9 / 3 min; 600 min in hours
    assert "<polyline" in html
    assert "<td>35.0%</td>" in html  # the table says a utilisation as its chart does
    two_axes = sweep_report(
        [{**r, "parking": 100 * r["scan_lanes"]} for r in rows], ["scan_lanes", "parking"]
    )
    assert "<polyline" not in two_axes and "scan_lanes=2, parking=200" in two_axes
    assert "http://" not in html and "https://" not in html


def test_the_run_report_says_whether_every_incident_was_caught() -> None:
    result = {
        "scenario": "x",
        "days": 1,
        "seed": 1,
        "trucks_handled": 3,
        "trucks_handled_per_day": 3,
        "trucks_shut_out": 0,
        "green_clearance_p50_min": 2.5,
        "released_at_border": 3,
        "referred_at_border": 0,
        "trucks_not_across": 0,
        "sim_days_per_wall_s": 1.0,
        "events_per_s": 10,
        "time_release": {
            "clearance": {"p50_min": 0.0, "p90_min": 0.0},
            "clearance_inspected": {"p50_min": 2.0, "p90_min": 3.0},
            "road": {"p50_min": 600.0, "p90_min": 690.0},
        },
        "utilisation": {"scan_lane": 0.5, "parking": None},
        "per_lane": {"green": 3},
        "peak_queue": {"scan_lane": 1},
        "incidents_detected": 1,
        "incidents_injected": 1,
        "false_alerts": 0,
        "precision": 1.0,
        "recall": 1.0,
        "incidents_by_kind": {"tamper": 1},
        "alerts_by_kind": {"tamper": 1},
    }
    html = run_report(result)
    assert "1 of 1 injected incidents detected" in html and "class='ok'" in html
    # the yard's minutes and the road's hours each on their own scale
    minutes, hours = html.split("Parking, road, border and the whole yard stay (hours)", 1)
    assert ">3 min</text>" in minutes and "road" not in minutes.split("Time-release")[-1]
    assert ">10 h</text>" in hours and ">11.5 h</text>" in hours
    assert "clearance_inspected" not in hours
    for svg in html.split("<svg")[1:]:  # each chart is wide enough for its bold title
        found = re.search(r'width="(\d+)".*?aria-label="([^"]*)"', svg)
        assert found is not None
        assert int(found[1]) >= 7.6 * len(found[2]), found[2]
