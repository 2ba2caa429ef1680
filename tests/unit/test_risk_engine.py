"""The selectivity engine: lanes from rules, the auditable random floor, and rules as data."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landport.risk.engine import (
    CompiledRuleSet,
    applied_red_rate,
    assess,
    compile_ruleset,
    random_draw,
    rate_drift,
)
from landport.risk.model import Assessment, RiskFacts, SelectivityLane
from landport.risk.validation import ruleset_from_dict, validate_ruleset
from landport.shared.errors import InvalidInput

DEFAULT_RULES = (
    Path(__file__).resolve().parents[2] / "src" / "landport" / "data" / "risk_rules.json"
)
GREEN, YELLOW, RED, BLUE = (
    SelectivityLane.GREEN,
    SelectivityLane.YELLOW,
    SelectivityLane.RED,
    SelectivityLane.BLUE,
)


def default_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    return doc


def rule(rule_id: str, when: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": rule_id,
        "description_en": f"test rule {rule_id}",
        "description_zh": f"测试规则 {rule_id}",
        "enabled": True,
        "when": when,
        "then": then,
    }


def doc_with(
    *rules: dict[str, Any], watch_lists: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "version": 7,
        "score_thresholds": {"red": 60, "yellow": 30},
        "expected_rates": {"green": 0.74, "blue": 0.14, "yellow": 0.08, "red": 0.04},
        "random_selection": {
            "min_random_red_rate": 0.01,
            "min_random_yellow_rate": 0.02,
            "max_random_red_rate": 0.05,
        },
        "blue_for_ratings": ["advanced"],
        "watch_lists": watch_lists or [],
        "rules": list(rules),
    }


def compiled(doc: dict[str, Any]) -> CompiledRuleSet:
    return compile_ruleset(ruleset_from_dict(doc))


def facts(**changes: Any) -> RiskFacts:
    base: dict[str, Any] = {
        "declaration_id": "EXP-2025-000123",
        "trade_mode": "0110",
        "consignor_uscc": "91330100MA2XXXXX1K",
        "enterprise_rating": "general",
        "first_time_exporter": False,
        "exit_port": "gyirong-port",
        "destination_country": "NP",
        "origin_provinces": ("zhejiang",),
        "hs_codes": ("9403600000",),
        "value_band_breaches": (),
        "declarant": "decl-01",
        "vehicle_plate": "藏D12345",
        "container_numbers": ("MSKU1234565",),
    }
    base.update(changes)
    return RiskFacts(**base)


def id_with_draw(seed: str, low: float, high: float) -> str:
    """A declaration id whose draw falls in [low, high): lets a test pick the random outcome."""
    for i in range(100_000):
        candidate = f"EXP-{i:06d}"
        if low <= random_draw(seed, candidate) < high:
            return candidate
    raise AssertionError("no id found")


SEED = "2025-06-01/lane-seed-1"
NOT_SELECTED = id_with_draw(SEED, 0.5, 1.0)
RED_DRAW = id_with_draw(SEED, 0.0, 0.01)
YELLOW_DRAW = id_with_draw(SEED, 0.01, 0.03)


def test_red_lane_when_rule_forces_examination() -> None:
    result = assess(
        facts(declaration_id=NOT_SELECTED, hs_codes=("8506500010",)),
        compiled(default_doc()),
        seed=SEED,
    )
    assert result.lane is RED
    assert result.forced_by == "R-LI-PRIMARY"
    assert [f.rule_id for f in result.fired] == ["R-LI-PRIMARY"]
    assert result.random.escalated_to is None


def test_green_lane_when_nothing_fires_and_draw_is_above_the_floor() -> None:
    result = assess(facts(declaration_id=NOT_SELECTED), compiled(default_doc()), seed=SEED)
    assert (result.lane, result.score, result.fired) == (GREEN, 0, ())


def test_random_floor_applies_even_to_forced_green() -> None:
    rules = compiled(doc_with(rule("R-OK", {"trade_mode": ["0110"]}, {"force_lane": "green"})))
    result = assess(facts(declaration_id=RED_DRAW), rules, seed=SEED)
    assert result.lane_before_random is GREEN
    assert result.forced_by == "R-OK"
    assert result.lane is RED
    assert result.random.selected and result.random.escalated_to is RED


def test_yellow_band_escalates_blue_to_yellow() -> None:
    result = assess(
        facts(declaration_id=YELLOW_DRAW, enterprise_rating="advanced"),
        compiled(doc_with()),
        seed=SEED,
    )
    assert (result.lane_before_random, result.lane) == (BLUE, YELLOW)


def test_random_selection_never_lowers_a_forced_lane() -> None:
    rules = compiled(doc_with(rule("R-EXAM", {"trade_mode": ["0110"]}, {"force_lane": "red"})))
    result = assess(facts(declaration_id=YELLOW_DRAW), rules, seed=SEED)
    assert result.lane is RED
    assert result.random.selected and result.random.escalated_to is None
    yellow = compiled(doc_with(rule("R-DOC", {"trade_mode": ["0110"]}, {"force_lane": "yellow"})))
    assert assess(facts(declaration_id=YELLOW_DRAW), yellow, seed=SEED).lane is YELLOW
    assert assess(facts(declaration_id=RED_DRAW), yellow, seed=SEED).lane is RED


def test_most_severe_forced_lane_wins() -> None:
    rules = compiled(
        doc_with(
            rule("R-G", {"trade_mode": ["0110"]}, {"force_lane": "green"}),
            rule("R-Y", {"destination_country": ["NP"]}, {"force_lane": "yellow"}),
            rule("R-B", {"exit_port": ["gyirong-port"]}, {"force_lane": "blue"}),
        )
    )
    result = assess(facts(declaration_id=NOT_SELECTED), rules, seed=SEED)
    assert (result.lane, result.forced_by) == (YELLOW, "R-Y")


def test_a_forced_yellow_never_lowers_a_score_that_calls_for_an_examination() -> None:
    """The most severe lane wins: a rule asking for a document check does not take a
    declaration the score sends to examination out of it."""
    rules = compiled(
        doc_with(
            rule("R-HIGH", {"trade_mode": ["0110"]}, {"score": 100}),
            rule("R-DOC", {"exit_port": ["gyirong-port"]}, {"force_lane": "yellow"}),
        )
    )
    result = assess(facts(declaration_id=NOT_SELECTED), rules, seed=SEED)
    assert (result.lane, result.score, result.forced_by) == (RED, 100, None)
    assert "100" in result.explanation_en
    # Below the red threshold the forced yellow stands, as before.
    low = compiled(
        doc_with(
            rule("R-SOME", {"trade_mode": ["0110"]}, {"score": 10}),
            rule("R-DOC", {"exit_port": ["gyirong-port"]}, {"force_lane": "yellow"}),
        )
    )
    assert assess(facts(declaration_id=NOT_SELECTED), low, seed=SEED).lane == YELLOW


def test_a_forced_green_is_respected_whatever_the_score() -> None:
    """A forced green or blue lane is a decision to trust (a whitelist), not a minimum."""
    rules = compiled(
        doc_with(
            rule("R-HIGH", {"trade_mode": ["0110"]}, {"score": 100}),
            rule("R-TRUST", {"exit_port": ["gyirong-port"]}, {"force_lane": "green"}),
        )
    )
    result = assess(facts(declaration_id=NOT_SELECTED), rules, seed=SEED)
    assert (result.lane, result.forced_by) == (GREEN, "R-TRUST")


def test_a_first_time_lithium_ion_exporter_over_the_red_score_is_examined() -> None:
    """The shipped rules: a first-time exporter of lithium-ion cells outside the value band and
    on the watch list scores past red; R-LI-ION-FIRST's yellow no longer lowers that."""
    rules = compiled(default_doc())
    doc = default_doc()
    watched = next(w for w in doc["watch_lists"] if w["field"] == "consignor_uscc")["values"][0]
    risky = facts(
        declaration_id=NOT_SELECTED,
        first_time_exporter=True,
        consignor_uscc=watched,
        hs_codes=("8507600020",),
        value_band_breaches=("8507600020",),
    )
    result = assess(risky, rules, seed=SEED)
    assert result.score >= doc["score_thresholds"]["red"]
    assert result.lane == RED


@pytest.mark.parametrize(
    ("first_time", "breach", "lane", "score"),
    [
        (False, False, GREEN, 0),
        (True, False, GREEN, 25),
        (False, True, YELLOW, 35),
        (True, True, RED, 60),
    ],
)
def test_score_thresholds_choose_the_lane(
    first_time: bool, breach: bool, lane: SelectivityLane, score: int
) -> None:
    result = assess(
        facts(
            declaration_id=NOT_SELECTED,
            first_time_exporter=first_time,
            value_band_breaches=("9403600000",) if breach else (),
        ),
        compiled(default_doc()),
        seed=SEED,
    )
    assert (result.lane, result.score) == (lane, score)


def test_green_from_advanced_enterprise_becomes_blue_but_forced_green_stays_green() -> None:
    plain = assess(
        facts(declaration_id=NOT_SELECTED, enterprise_rating="advanced"),
        compiled(default_doc()),
        seed=SEED,
    )
    assert (plain.lane, plain.blue_by_rating, plain.score) == (BLUE, True, -20)
    forced = compiled(doc_with(rule("R-OK", {"rating": ["advanced"]}, {"force_lane": "green"})))
    result = assess(
        facts(declaration_id=NOT_SELECTED, enterprise_rating="advanced"), forced, seed=SEED
    )
    assert (result.lane, result.blue_by_rating) == (GREEN, False)


def test_untrusted_enterprise_is_examined_even_when_aeo_list_would_lower_risk() -> None:
    result = assess(
        facts(declaration_id=NOT_SELECTED, enterprise_rating="untrusted"),
        compiled(default_doc()),
        seed=SEED,
    )
    assert (result.lane, result.forced_by) == (RED, "R-UNTRUSTED")


def test_watch_list_hit_fires_its_rule() -> None:
    result = assess(
        facts(declaration_id=NOT_SELECTED, vehicle_plate="藏D-EXAMPLE1"),
        compiled(default_doc()),
        seed=SEED,
    )
    assert (result.lane, result.forced_by) == (RED, "R-WATCH-VEHICLE")


def test_watch_lists_match_containers_and_hs_prefixes() -> None:
    lists = [
        {"name": "boxes", "field": "container_number", "values": ["TGHU0000001"]},
        {"name": "goods", "field": "hs_prefix", "values": ["7113"]},
    ]
    rules = compiled(
        doc_with(
            rule("R-BOX", {"on_watch_list": "boxes"}, {"score": 30}),
            rule("R-GOLD", {"on_watch_list": "goods"}, {"score": 30}),
            watch_lists=lists,
        )
    )
    f = facts(declaration_id=NOT_SELECTED, container_numbers=("X", "TGHU0000001"))
    assert assess(f, rules, seed=SEED).score == 30
    f = facts(
        declaration_id=NOT_SELECTED,
        container_numbers=("TGHU0000001",),
        hs_codes=("9403600000", "7113190000"),
    )
    assert assess(f, rules, seed=SEED).lane is RED


def test_value_band_with_hs_prefix_counts_only_breaches_on_those_goods() -> None:
    rules = compiled(
        doc_with(
            rule(
                "R-NEV-VAL",
                {"hs_prefix": ["870380"], "value_per_kg_outside_band": True},
                {"score": 40},
            )
        )
    )
    codes = ("8703800000", "9403600000")
    other = facts(declaration_id=NOT_SELECTED, hs_codes=codes, value_band_breaches=(codes[1],))
    assert assess(other, rules, seed=SEED).fired == ()
    same = facts(declaration_id=NOT_SELECTED, hs_codes=codes, value_band_breaches=(codes[0],))
    assert assess(same, rules, seed=SEED).score == 40


def test_disabled_rule_never_fires() -> None:
    doc = default_doc()
    doc["rules"][1]["enabled"] = False  # R-LI-PRIMARY
    result = assess(
        facts(declaration_id=NOT_SELECTED, hs_codes=("8506500010",)), compiled(doc), seed=SEED
    )
    assert result.lane is GREEN


@pytest.mark.parametrize(
    ("requested", "applied", "reason"),
    [
        (None, 0.01, "floor"),
        (0.001, 0.01, "clamped_to_floor"),
        (0.03, 0.03, "requested"),
        (0.5, 0.05, "clamped_to_ceiling"),
        (-1.0, 0.01, "clamped_to_floor"),
    ],
)
def test_capacity_rate_is_clamped_to_bounds(
    requested: float | None, applied: float, reason: str
) -> None:
    result = assess(facts(), compiled(default_doc()), seed=SEED, random_red_rate=requested)
    assert result.random.red_rate == applied
    assert result.random.rate_reason == reason
    assert result.random.requested_red_rate == requested
    selection = ruleset_from_dict(default_doc()).random_selection
    assert applied_red_rate(selection, requested) == (applied, reason)


def test_non_finite_capacity_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        assess(facts(), compiled(default_doc()), seed=SEED, random_red_rate=math.nan)


def test_same_facts_ruleset_and_seed_give_the_same_assessment() -> None:
    f = facts(hs_codes=("8507600010", "8703800000"), first_time_exporter=True)
    first = assess(f, compiled(default_doc()), seed=SEED).as_dict()
    again = assess(f, compiled(default_doc()), seed=SEED).as_dict()
    assert first == again
    assert json.loads(json.dumps(first, ensure_ascii=False)) == first
    assert assess(f, compiled(default_doc()), seed="other").random.draw != first["random"]["draw"]


def test_draw_is_recomputable_from_the_record() -> None:
    record = assess(facts(), compiled(default_doc()), seed=SEED).as_dict()
    digest = hashlib.sha256(f"{record['random']['seed']}:{record['declaration_id']}".encode())
    assert record["random"]["draw"] == int.from_bytes(digest.digest()[:8], "big") / 2**64
    assert record["ruleset_version"] == 1


def test_explanation_names_the_forcing_rule_and_the_draw() -> None:
    result = assess(
        facts(declaration_id=NOT_SELECTED, hs_codes=("8506500010",)),
        compiled(default_doc()),
        seed=SEED,
    )
    draw = f"{result.random.draw:.4f}"
    assert result.explanation_en == (
        "Red lane: rule R-LI-PRIMARY forces examination (primary lithium batteries, dangerous "
        f"goods UN3090/UN3091). Random draw {draw} above the 3.0% selection floor "
        "(red 1.0% + yellow 2.0%)."
    )
    assert result.explanation_zh.startswith("红色通道：规则 R-LI-PRIMARY 要求查验（锂原电池")
    assert draw in result.explanation_zh


def test_explanation_of_random_selection_and_score() -> None:
    result = assess(
        facts(declaration_id=RED_DRAW, first_time_exporter=True),
        compiled(default_doc()),
        seed=SEED,
        random_red_rate=0.2,
    )
    assert result.explanation_en.startswith("Red lane: selected at random (draw 0.0")
    assert "Without the draw: green lane, risk score 25 is below the yellow threshold 30 " in (
        result.explanation_en
    )
    assert "(R-FIRST-TIME +25)" in result.explanation_en
    assert "requested 20.0% lowered to the ceiling" in result.explanation_en
    assert "随机抽中" in result.explanation_zh and "已降到上限" in result.explanation_zh


def test_default_ruleset_loads_and_round_trips() -> None:
    doc = default_doc()
    ruleset, violations = validate_ruleset(doc)
    assert ruleset is not None and violations == []
    assert ruleset.as_dict() == doc
    assert len(ruleset.rules) >= 10


def invalid(path: str, value: Any, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """The default document with one value replaced at a dotted path (``rules.3.when.x``)."""
    target = copy.deepcopy(doc or default_doc())
    node: Any = target
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value
    return target


@pytest.mark.parametrize(
    ("path", "value", "field", "code"),
    [
        ("rules.3.when.hs_prefix", ["85076X"], "rules[3].when.hs_prefix[0]", "invalid_hs_prefix"),
        ("rules.3.when.hs_prefix", "850760", "rules[3].when.hs_prefix", "wrong_type"),
        ("rules.0.when.rating", ["gold"], "rules[0].when.rating[0]", "invalid_value"),
        ("rules.2.then", {"force_lane": "purple"}, "rules[2].then.force_lane", "invalid_value"),
        ("rules.2.then", {"score": 5, "force_lane": "red"}, "rules[2].then", "one_effect"),
        ("rules.4.then", {"score": "20"}, "rules[4].then.score", "wrong_type"),
        (
            "rules.5.when.value_per_kg_outside_band",
            "yes",
            "rules[5].when.value_per_kg_outside_band",
            "wrong_type",
        ),
        (
            "rules.9.when.on_watch_list",
            "nobody",
            "rules[9].when.on_watch_list",
            "unknown_watch_list",
        ),
        ("rules.1.when.hs_prefx", ["85"], "rules[1].when.hs_prefx", "unknown_key"),
        ("rules.1.id", "R-UNTRUSTED", "rules[1].id", "duplicate"),
        ("rules.1.enabled", "true", "rules[1].enabled", "wrong_type"),
        ("watch_lists.0.field", "mobile", "watch_lists[0].field", "invalid_value"),
        (
            "random_selection.max_random_red_rate",
            0.005,
            "random_selection.max_random_red_rate",
            "ceiling_below_floor",
        ),
        (
            "random_selection.min_random_red_rate",
            1.5,
            "random_selection.min_random_red_rate",
            "invalid_rate",
        ),
        ("score_thresholds.yellow", 90, "score_thresholds.yellow", "yellow_above_red"),
        ("blue_for_ratings", ["platinum"], "blue_for_ratings[0]", "invalid_value"),
        ("version", "1", "version", "wrong_type"),
    ],
)
def test_invalid_rule_definitions_produce_violations_naming_the_path(
    path: str, value: Any, field: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        ruleset_from_dict(invalid(path, value))
    found = [(v.field, v.code) for v in raised.value.violations if v.severity == "error"]
    assert (field, code) in found
    violation = next(v for v in raised.value.violations if v.field == field)
    assert field in violation.message_en and field in violation.message_zh


def test_all_violations_are_reported_at_once_and_empty_when_is_only_a_warning() -> None:
    doc = invalid("rules.3.when.hs_prefix", ["8x"], invalid("rules.4.then", {"score": 1.5}))
    _, violations = validate_ruleset(doc)
    assert {"rules[3].when.hs_prefix[0]", "rules[4].then.score"} <= {v.field for v in violations}
    ruleset, warnings = validate_ruleset(doc_with(rule("R-ALL", {}, {"score": 1})))
    assert ruleset is not None
    assert [(w.field, w.severity) for w in warnings] == [("rules[0].when", "warning")]


def test_rate_drift_compares_observed_lanes_with_expected_rates() -> None:
    drift = rate_drift([GREEN, GREEN, RED, BLUE], ruleset_from_dict(default_doc()))
    assert drift["green"]["observed"] == 0.5
    assert drift["red"]["difference"] == pytest.approx(0.25 - 0.04)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.text(min_size=1, max_size=30), rate=st.floats(min_value=0.01, max_value=0.05))
def test_random_red_share_is_close_to_the_configured_rate(seed: str, rate: float) -> None:
    rules = compiled(doc_with())
    n = 6000
    red = sum(
        assess(facts(declaration_id=f"D{i}"), rules, seed=seed, random_red_rate=rate).lane is RED
        for i in range(n)
    )
    tolerance = 5 * math.sqrt(rate * (1 - rate) / n)  # five standard deviations
    assert abs(red / n - rate) < tolerance


_codes = st.sampled_from(
    ["8506500010", "8507600010", "8703800000", "9403600000", "7113190000", "6110200000"]
)


@settings(max_examples=200, deadline=None)
@given(
    hs_codes=st.lists(_codes, min_size=1, max_size=4).map(tuple),
    rating=st.sampled_from(["advanced", "general", "untrusted"]),
    first_time=st.booleans(),
    breach=st.booleans(),
    trade_mode=st.sampled_from(["0110", "4019", "9610"]),
    plate=st.sampled_from(["藏D12345", "藏D-EXAMPLE1"]),
    seed=st.text(max_size=8),
)
def test_index_and_linear_scan_give_the_same_assessment(
    hs_codes: tuple[str, ...],
    rating: str,
    first_time: bool,
    breach: bool,
    trade_mode: str,
    plate: str,
    seed: str,
) -> None:
    f = facts(
        hs_codes=hs_codes,
        enterprise_rating=rating,
        first_time_exporter=first_time,
        value_band_breaches=hs_codes[:1] if breach else (),
        trade_mode=trade_mode,
        vehicle_plate=plate,
    )
    ruleset = ruleset_from_dict(default_doc())
    indexed: Assessment = assess(f, compile_ruleset(ruleset), seed=seed)
    linear = assess(f, compile_ruleset(ruleset, use_index=False), seed=seed)
    assert indexed.as_dict() == linear.as_dict()
