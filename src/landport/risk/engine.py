"""Selectivity engine: compile a ruleset into an index once, then assess declarations fast.

The index buckets each rule under its most selective condition (HS prefix, watch list,
destination, trade mode, ...), so an assessment only evaluates the few rules that can
fire. The random draw is a hash of seed and declaration id: recomputable by an auditor,
never the ``random`` module or the clock.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from landport.risk.explain import explain
from landport.risk.model import (
    Assessment,
    FiredRule,
    RandomDraw,
    RandomSelection,
    RiskFacts,
    RiskRule,
    RuleSet,
    SelectivityLane,
)

GREEN, YELLOW, RED, BLUE = (
    SelectivityLane.GREEN,
    SelectivityLane.YELLOW,
    SelectivityLane.RED,
    SelectivityLane.BLUE,
)

#: Fact-side conditions used as index keys, most selective first; the first present wins.
_KEYED = ("destination_country", "trade_mode", "exit_port", "origin_province", "rating")


@dataclass(frozen=True, slots=True)
class _Rule:
    """A rule with its conditions as sets, ready for fast matching."""

    ordinal: int
    id: str
    force_lane: SelectivityLane | None
    score: int
    fired: FiredRule
    hs_prefix: tuple[str, ...] | None
    trade_mode: frozenset[str] | None
    rating: frozenset[str] | None
    origin_province: frozenset[str] | None
    exit_port: frozenset[str] | None
    destination_country: frozenset[str] | None
    first_time_exporter: bool | None
    value_band: bool | None
    watch_list: str | None

    def matches(self, f: RiskFacts, watch_hits: frozenset[str]) -> bool:
        if self.trade_mode is not None and f.trade_mode not in self.trade_mode:
            return False
        if self.rating is not None and f.enterprise_rating not in self.rating:
            return False
        if self.exit_port is not None and f.exit_port not in self.exit_port:
            return False
        if self.destination_country is not None and (
            f.destination_country not in self.destination_country
        ):
            return False
        if self.first_time_exporter is not None and (
            f.first_time_exporter is not self.first_time_exporter
        ):
            return False
        if self.origin_province is not None and self.origin_province.isdisjoint(f.origin_provinces):
            return False
        prefixes = self.hs_prefix
        if prefixes is not None and not any(code.startswith(prefixes) for code in f.hs_codes):
            return False
        if self.value_band is not None:
            # With an HS prefix, only a breach on goods under that prefix counts.
            breaches = f.value_band_breaches
            if prefixes is not None:
                breaches = tuple(code for code in breaches if code.startswith(prefixes))
            if bool(breaches) is not self.value_band:
                return False
        return self.watch_list is None or self.watch_list in watch_hits


def _compile_rule(ordinal: int, rule: RiskRule) -> _Rule:
    w = rule.when

    def as_set(values: tuple[str, ...] | None) -> frozenset[str] | None:
        return None if values is None else frozenset(values)

    return _Rule(
        ordinal=ordinal,
        id=rule.id,
        force_lane=rule.then.force_lane,
        score=rule.then.score or 0,
        fired=FiredRule(rule.id, rule.then, rule.description_en, rule.description_zh),
        hs_prefix=w.hs_prefix,
        trade_mode=as_set(w.trade_mode),
        rating=as_set(w.rating),
        origin_province=as_set(w.origin_province),
        exit_port=as_set(w.exit_port),
        destination_country=as_set(w.destination_country),
        first_time_exporter=w.first_time_exporter,
        value_band=w.value_per_kg_outside_band,
        watch_list=w.on_watch_list,
    )


def _add(index: dict[str, list[int]], key: str, ordinal: int) -> None:
    index.setdefault(key, []).append(ordinal)


def _freeze(index: dict[str, list[int]]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v) for k, v in index.items()}


class CompiledRuleSet:
    """A ruleset turned into lookup tables; build once per ruleset version, share freely."""

    def __init__(self, ruleset: RuleSet, *, use_index: bool = True) -> None:
        self.ruleset = ruleset
        self.use_index = use_index
        self.rules = tuple(_compile_rule(i, r) for i, r in enumerate(ruleset.rules) if r.enabled)
        self.blue_for_ratings = frozenset(ruleset.blue_for_ratings)
        general: list[int] = []
        hs: dict[str, list[int]] = {}
        watch: dict[str, list[int]] = {}
        keyed: dict[str, dict[str, list[int]]] = {k: {} for k in _KEYED}
        flags: dict[str, dict[bool, list[int]]] = {"first_time": {}, "value_band": {}}
        for slot, r in enumerate(self.rules):
            if not use_index:
                general.append(slot)
            elif r.hs_prefix is not None:
                for prefix in r.hs_prefix:
                    _add(hs, prefix, slot)
            elif r.watch_list is not None:
                _add(watch, r.watch_list, slot)
            elif key := next((k for k in _KEYED if getattr(r, k) is not None), None):
                for value in getattr(r, key):
                    _add(keyed[key], value, slot)
            elif r.first_time_exporter is not None:
                flags["first_time"].setdefault(r.first_time_exporter, []).append(slot)
            elif r.value_band is not None:
                flags["value_band"].setdefault(r.value_band, []).append(slot)
            else:
                general.append(slot)
        self.general = tuple(general)
        self.hs_index = _freeze(hs)
        self.hs_lengths = tuple(sorted({len(p) for p in hs}))
        self.watch_index = _freeze(watch)
        self.keyed = {k: _freeze(v) for k, v in keyed.items()}
        self.flags = {k: {b: tuple(s) for b, s in v.items()} for k, v in flags.items()}
        self._compile_watch_lists()

    def _compile_watch_lists(self) -> None:
        by_value: dict[str, dict[str, set[str]]] = {}
        by_prefix: dict[str, set[str]] = {}
        for wl in self.ruleset.watch_lists:
            for value in wl.values:
                if wl.field == "hs_prefix":
                    by_prefix.setdefault(value, set()).add(wl.name)
                else:
                    by_value.setdefault(wl.field, {}).setdefault(value, set()).add(wl.name)
        self.watch_values = {
            f: {v: frozenset(n) for v, n in m.items()} for f, m in by_value.items()
        }
        self.watch_prefixes = {p: frozenset(n) for p, n in by_prefix.items()}
        self.watch_prefix_lengths = tuple(sorted({len(p) for p in by_prefix}))
        self.has_watch_lists = bool(by_value or by_prefix)

    def watch_hits(self, f: RiskFacts) -> frozenset[str]:
        """Names of the watch lists this declaration is on."""
        if not self.has_watch_lists:
            return frozenset()
        hits: set[str] = set()
        values = self.watch_values
        for field, value in (
            ("consignor_uscc", f.consignor_uscc),
            ("vehicle_plate", f.vehicle_plate),
            ("declarant", f.declarant),
            ("destination_country", f.destination_country),
        ):
            table = values.get(field)
            if table is not None and (names := table.get(value)) is not None:
                hits.update(names)
        containers = values.get("container_number")
        if containers is not None:
            for number in f.container_numbers:
                if (names := containers.get(number)) is not None:
                    hits.update(names)
        if self.watch_prefixes:
            for code in f.hs_codes:
                for n in self.watch_prefix_lengths:
                    if (names := self.watch_prefixes.get(code[:n])) is not None:
                        hits.update(names)
        return frozenset(hits)

    def candidates(self, f: RiskFacts, watch_hits: frozenset[str]) -> list[int]:
        """Slots of the rules that may fire, in ruleset order; the others cannot."""
        if not self.use_index:
            return list(self.general)
        found = set(self.general)
        hs = self.hs_index
        if hs:
            for code in f.hs_codes:
                for n in self.hs_lengths:
                    if (bucket := hs.get(code[:n])) is not None:
                        found.update(bucket)
        for name in watch_hits:
            if (bucket := self.watch_index.get(name)) is not None:
                found.update(bucket)
        keyed = self.keyed
        for index, value in (
            (keyed["destination_country"], f.destination_country),
            (keyed["trade_mode"], f.trade_mode),
            (keyed["exit_port"], f.exit_port),
            (keyed["rating"], f.enterprise_rating),
        ):
            if index and (bucket := index.get(value)) is not None:
                found.update(bucket)
        provinces = keyed["origin_province"]
        if provinces:
            for province in f.origin_provinces:
                if (bucket := provinces.get(province)) is not None:
                    found.update(bucket)
        if (bucket := self.flags["first_time"].get(f.first_time_exporter)) is not None:
            found.update(bucket)
        if (bucket := self.flags["value_band"].get(bool(f.value_band_breaches))) is not None:
            found.update(bucket)
        return sorted(found)


def compile_ruleset(ruleset: RuleSet, *, use_index: bool = True) -> CompiledRuleSet:
    """Compile once per ruleset version; ``use_index=False`` is the linear baseline."""
    return CompiledRuleSet(ruleset, use_index=use_index)


def random_draw(seed: str, declaration_id: str) -> float:
    """Uniform in [0, 1) from SHA-256 of ``seed:declaration_id``: anyone can recompute it."""
    digest = hashlib.sha256(f"{seed}:{declaration_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def applied_red_rate(selection: RandomSelection, requested: float | None) -> tuple[float, str]:
    """The random red rate to apply and why: the floor, or the request clamped to the bounds.

    A NaN or infinite request is a caller bug: it raises rather than being recorded in a
    form that could not be recomputed (NaN is not JSON and never equals itself).
    """
    floor, ceiling = selection.min_random_red_rate, selection.max_random_red_rate
    if requested is None:
        return floor, "floor"
    if not math.isfinite(requested):
        raise ValueError(f"random_red_rate must be a finite share, got {requested!r}")
    if requested < floor:
        return floor, "clamped_to_floor"
    if requested > ceiling:
        return ceiling, "clamped_to_ceiling"
    return float(requested), "requested"


def assess(
    facts: RiskFacts,
    compiled: CompiledRuleSet,
    *,
    seed: str,
    random_red_rate: float | None = None,
) -> Assessment:
    """Choose the lane: a forced lane beats the score, except that a forced yellow never lowers
    a score that calls for red; blue for trusted ratings; random escalates.

    Deterministic: the same facts, ruleset and seed always give the same assessment.
    """
    hits = compiled.watch_hits(facts)
    rules = compiled.rules
    fired: list[FiredRule] = []
    score = 0
    forced: SelectivityLane | None = None
    forced_by: str | None = None
    for slot in compiled.candidates(facts, hits):
        rule = rules[slot]
        if not rule.matches(facts, hits):
            continue
        fired.append(rule.fired)
        lane_forced = rule.force_lane
        if lane_forced is None:
            score += rule.score
        elif forced is None or lane_forced.severity > forced.severity:
            forced, forced_by = lane_forced, rule.id

    ruleset = compiled.ruleset
    thresholds = ruleset.thresholds
    blue_by_rating = False
    if forced is YELLOW and score >= thresholds.red:
        # A forced yellow asks for a look at the documents; it never lowers a score that
        # calls for an examination (the most severe lane wins).
        forced, forced_by = None, None
    if forced is not None:
        lane = forced
    elif score >= thresholds.red:
        lane = RED
    elif score >= thresholds.yellow:
        lane = YELLOW
    elif facts.enterprise_rating in compiled.blue_for_ratings:
        lane, blue_by_rating = BLUE, True
    else:
        lane = GREEN

    selection = ruleset.random_selection
    red_rate, reason = applied_red_rate(selection, random_red_rate)
    yellow_rate = selection.min_random_yellow_rate
    draw = random_draw(seed, facts.declaration_id)
    escalated: SelectivityLane | None = None
    selected = False
    if draw < red_rate:
        selected = True
        if lane is not RED:
            escalated = RED
    elif draw < red_rate + yellow_rate:
        selected = True
        if lane is GREEN or lane is BLUE:
            escalated = YELLOW

    record = RandomDraw(
        seed=seed,
        draw=draw,
        red_rate=red_rate,
        yellow_rate=yellow_rate,
        requested_red_rate=random_red_rate,
        rate_reason=reason,
        selected=selected,
        escalated_to=escalated,
    )
    final = escalated or lane
    fired_t = tuple(fired)
    en, zh = explain(
        final, lane, score, fired_t, forced_by, blue_by_rating, facts, thresholds, record
    )
    return Assessment(
        declaration_id=facts.declaration_id,
        lane=final,
        lane_before_random=lane,
        score=score,
        fired=fired_t,
        forced_by=forced_by,
        blue_by_rating=blue_by_rating,
        random=record,
        ruleset_version=ruleset.version,
        explanation_en=en,
        explanation_zh=zh,
    )


def rate_drift(lanes: Iterable[SelectivityLane], ruleset: RuleSet) -> dict[str, dict[str, float]]:
    """Observed lane shares against the ruleset's expected rates, to spot a drifting rule."""
    counts = Counter(lanes)
    total = sum(counts.values())
    out: dict[str, dict[str, float]] = {}
    for lane in SelectivityLane:
        observed = counts[lane] / total if total else 0.0
        expected = ruleset.expected_rates.get(lane, 0.0)
        out[lane.value] = {
            "observed": observed,
            "expected": expected,
            "difference": observed - expected,
        }
    return out
