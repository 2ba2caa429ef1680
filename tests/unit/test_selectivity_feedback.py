"""Capacity-aware selectivity: the scan queue moves the random red rate, and only that."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from landport.risk.capacity import CapacityFeedback, ScanQueue, requested_red_rate
from landport.risk.engine import assess, compile_ruleset, random_draw
from landport.risk.model import RandomSelection, RiskFacts, SelectivityLane
from landport.risk.validation import ruleset_from_dict
from landport.yard.model import yard_from_document
from landport.yard.ports import YardVisit
from landport.yard.stations import scan_queue
from landport.yard.visits import TruckVisit, VisitStatus

DATA = Path(__file__).resolve().parents[2] / "src" / "landport" / "data"
SELECTION = RandomSelection(0.01, 0.02, 0.05)
SEED = "capacity-seed"
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Beijing: the scan lanes are open


def queue(wait: float, *, open_lanes: int = 2) -> ScanQueue:
    return ScanQueue(int(wait // 3), 1, 2, open_lanes, wait)


def facts(declaration_id: str, hs_code: str = "9403600000") -> RiskFacts:
    return RiskFacts(
        declaration_id=declaration_id,
        trade_mode="0110",
        consignor_uscc="91330100MA2XXXXX1K",
        enterprise_rating="general",
        first_time_exporter=False,
        exit_port="gyirong-port",
        destination_country="NP",
        origin_provinces=("zhejiang",),
        hs_codes=(hs_code,),
        value_band_breaches=(),
        declarant="decl-01",
        vehicle_plate="藏D12345",
        container_numbers=("MSKU1234565",),
    )


def id_with_draw(low: float, high: float) -> str:
    return next(
        f"EXP-{i:06d}" for i in range(100_000) if low <= random_draw(SEED, f"EXP-{i:06d}") < high
    )


def test_idle_lanes_ask_for_the_ceiling_and_a_long_queue_for_the_floor() -> None:
    idle = requested_red_rate(queue(0), SELECTION)
    busy = requested_red_rate(queue(90), SELECTION)
    halfway = requested_red_rate(queue(25), SELECTION)
    assert idle is not None and idle.rate == 0.05 and "idle" in idle.reason_en
    assert busy is not None and busy.rate == 0.01 and "机检通道拥堵" in busy.reason_zh
    assert halfway is not None and halfway.rate == pytest.approx(0.03)
    assert "expected wait 25 min" in halfway.reason_en


def test_without_live_figures_nothing_is_requested_and_closed_lanes_keep_the_floor() -> None:
    assert requested_red_rate(None, SELECTION) is None
    closed = requested_red_rate(queue(0, open_lanes=0), SELECTION)
    assert closed is not None and closed.rate == 0.01 and "closed" in closed.reason_en


def test_the_feedback_bounds_are_configurable() -> None:
    strict = CapacityFeedback(idle_wait_minutes=0, busy_wait_minutes=10)
    request = requested_red_rate(queue(5), SELECTION, strict)
    assert request is not None and request.rate == pytest.approx(0.03)


def test_the_engine_clamps_the_request_and_records_why() -> None:
    ruleset = compile_ruleset(ruleset_from_dict(default_doc()))
    declaration_id = id_with_draw(0.02, 0.03)  # selected only by a rate above 2 %
    idle = requested_red_rate(queue(0), ruleset.ruleset.random_selection)
    assert idle is not None
    raised = assess(facts(declaration_id), ruleset, seed=SEED, random_red_rate=idle.rate)
    floor = assess(facts(declaration_id), ruleset, seed=SEED)
    assert raised.lane is SelectivityLane.RED and raised.random.rate_reason == "requested"
    assert floor.lane is not SelectivityLane.RED and floor.random.rate_reason == "floor"
    too_low = assess(facts(declaration_id), ruleset, seed=SEED, random_red_rate=0.0)
    assert too_low.random.red_rate == 0.01 and too_low.random.rate_reason == "clamped_to_floor"


def test_a_congested_yard_never_lowers_a_rule_forced_red_lane_or_the_floor() -> None:
    ruleset = compile_ruleset(ruleset_from_dict(default_doc()))
    busy = requested_red_rate(queue(600), ruleset.ruleset.random_selection)
    assert busy is not None and busy.rate == ruleset.ruleset.random_selection.min_random_red_rate
    forced = assess(
        facts(id_with_draw(0.5, 1.0), "8506500010"), ruleset, seed=SEED, random_red_rate=busy.rate
    )
    assert forced.lane is SelectivityLane.RED and forced.forced_by == "R-LI-PRIMARY"
    in_floor = id_with_draw(0.0, 0.01)
    drawn = assess(facts(in_floor), ruleset, seed=SEED, random_red_rate=busy.rate)
    assert drawn.lane is SelectivityLane.RED and drawn.random.selected


def visit_at(lane: str, visit_id: str, since: datetime) -> YardVisit:
    v = TruckVisit(visit_id, "藏D1", VisitStatus.AT_LANE, since, since, lane_id=lane)
    return YardVisit(v)


def test_the_yard_reports_its_scan_lanes_as_queue_figures() -> None:
    layout = yard_from_document(json.loads((DATA / "yard.json").read_text(encoding="utf-8")))
    at_lanes = [
        visit_at("nii-drive-1", "a", T0 - timedelta(minutes=1)),
        visit_at("nii-drive-1", "b", T0),
        visit_at("nii-portal-1", "c", T0),
    ]
    figures = scan_queue(layout, at_lanes, unassigned_red=2, now=T0)
    # drive-1: 1 min left + 1 waiting x 2 min = 3; portal-1: 3 min left; two queued red
    # trucks share the two open lanes at a mean 2.5 min each.
    assert figures.as_dict() == {
        "trucks_waiting": 3,
        "trucks_at_lanes": 2,
        "lanes": 2,
        "open_lanes": 2,
        "expected_wait_minutes": 5.5,
    }


def default_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / "risk_rules.json").read_text(encoding="utf-8"))
    return doc
