"""Selectivity lanes, risk facts, rules as data and the auditable assessment they produce.

Rules are plain data so the risk unit can change them without a release; every field
round-trips through ``as_dict`` so a stored ruleset version can be reloaded to recompute
any past decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SelectivityLane(StrEnum):
    """ASYCUDA selectivity lanes (通道): what happens to the declaration next."""

    GREEN = "green"  # release
    YELLOW = "yellow"  # documentary check
    RED = "red"  # examination: NII scan first, physical when the image is suspicious
    BLUE = "blue"  # release now, post-clearance audit

    @property
    def severity(self) -> int:
        """Order used when several rules force lanes: red > yellow > blue > green."""
        return LANE_SEVERITY[self]


L = SelectivityLane
LANE_SEVERITY: dict[SelectivityLane, int] = {L.GREEN: 0, L.BLUE: 1, L.YELLOW: 2, L.RED: 3}
LANE_NAME_ZH: dict[SelectivityLane, str] = {
    L.GREEN: "绿色通道",
    L.YELLOW: "黄色通道",
    L.RED: "红色通道",
    L.BLUE: "蓝色通道",
}
LANE_ACTION_EN: dict[SelectivityLane, str] = {
    L.GREEN: "release",
    L.YELLOW: "document check",
    L.RED: "examination (scan first, physical if the image is suspicious)",
    L.BLUE: "release now, post-clearance audit",
}
LANE_ACTION_ZH: dict[SelectivityLane, str] = {
    L.GREEN: "直接放行",
    L.YELLOW: "单证审核",
    L.RED: "查验（先机检，图像可疑再人工查验）",
    L.BLUE: "先放行，后续稽查",
}

#: Fields of the facts a watch list may match; ``hs_prefix`` matches any goods line by prefix.
WATCH_LIST_FIELDS: tuple[str, ...] = (
    "consignor_uscc",
    "vehicle_plate",
    "declarant",
    "destination_country",
    "container_number",
    "hs_prefix",
)

#: Condition keys of a rule's ``when`` whose value is a list of accepted values.
LIST_CONDITIONS: tuple[str, ...] = (
    "hs_prefix",
    "trade_mode",
    "rating",
    "origin_province",
    "exit_port",
    "destination_country",
)
BOOL_CONDITIONS: tuple[str, ...] = ("first_time_exporter", "value_per_kg_outside_band")


@dataclass(frozen=True, slots=True)
class RiskFacts:
    """What the engine knows about one declaration; built by the caller, never looked up here."""

    declaration_id: str
    trade_mode: str
    consignor_uscc: str
    enterprise_rating: str  # "advanced" | "general" | "untrusted" (CreditRating values)
    first_time_exporter: bool
    exit_port: str
    destination_country: str
    origin_provinces: tuple[str, ...]
    hs_codes: tuple[str, ...]
    value_band_breaches: tuple[str, ...]  # HS codes whose value per kg is outside the band
    declarant: str
    vehicle_plate: str
    container_numbers: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """For storing next to the assessment, so the decision can be recomputed."""
        return {
            "declaration_id": self.declaration_id,
            "trade_mode": self.trade_mode,
            "consignor_uscc": self.consignor_uscc,
            "enterprise_rating": self.enterprise_rating,
            "first_time_exporter": self.first_time_exporter,
            "exit_port": self.exit_port,
            "destination_country": self.destination_country,
            "origin_provinces": list(self.origin_provinces),
            "hs_codes": list(self.hs_codes),
            "value_band_breaches": list(self.value_band_breaches),
            "declarant": self.declarant,
            "vehicle_plate": self.vehicle_plate,
            "container_numbers": list(self.container_numbers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskFacts:
        return cls(
            declaration_id=str(data["declaration_id"]),
            trade_mode=str(data["trade_mode"]),
            consignor_uscc=str(data["consignor_uscc"]),
            enterprise_rating=str(data["enterprise_rating"]),
            first_time_exporter=bool(data["first_time_exporter"]),
            exit_port=str(data["exit_port"]),
            destination_country=str(data["destination_country"]),
            origin_provinces=tuple(data["origin_provinces"]),
            hs_codes=tuple(data["hs_codes"]),
            value_band_breaches=tuple(data["value_band_breaches"]),
            declarant=str(data["declarant"]),
            vehicle_plate=str(data["vehicle_plate"]),
            container_numbers=tuple(data["container_numbers"]),
        )


@dataclass(frozen=True, slots=True)
class WatchList:
    """A named list of values (consignors, plates, ...) that rules can test membership of."""

    name: str
    field: str  # one of WATCH_LIST_FIELDS
    values: tuple[str, ...]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "field": self.field, "values": list(self.values)}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class RuleCondition:
    """All given conditions must hold; ``None`` means the condition is not used."""

    hs_prefix: tuple[str, ...] | None = None
    trade_mode: tuple[str, ...] | None = None
    rating: tuple[str, ...] | None = None
    origin_province: tuple[str, ...] | None = None
    exit_port: tuple[str, ...] | None = None
    destination_country: tuple[str, ...] | None = None
    first_time_exporter: bool | None = None
    value_per_kg_outside_band: bool | None = None
    on_watch_list: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in LIST_CONDITIONS:
            values: tuple[str, ...] | None = getattr(self, key)
            if values is not None:
                out[key] = list(values)
        for key in BOOL_CONDITIONS:
            flag: bool | None = getattr(self, key)
            if flag is not None:
                out[key] = flag
        if self.on_watch_list is not None:
            out["on_watch_list"] = self.on_watch_list
        return out


@dataclass(frozen=True, slots=True)
class RuleEffect:
    """Either force a lane or add to the risk score (negative lowers risk)."""

    force_lane: SelectivityLane | None = None
    score: int | None = None

    @property
    def label(self) -> str:
        """Short text for the officer and the audit record, e.g. ``force red`` or ``score +35``."""
        if self.force_lane is not None:
            return f"force {self.force_lane.value}"
        return f"score {self.score:+d}"

    def as_dict(self) -> dict[str, Any]:
        if self.force_lane is not None:
            return {"force_lane": self.force_lane.value}
        return {"score": self.score}


@dataclass(frozen=True, slots=True)
class RiskRule:
    """One selectivity rule (布控规则)."""

    id: str
    description_en: str
    description_zh: str
    enabled: bool
    when: RuleCondition
    then: RuleEffect
    note: str = ""  # why the rule exists; not shown in the explanation

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "description_en": self.description_en,
            "description_zh": self.description_zh,
            "enabled": self.enabled,
            "when": self.when.as_dict(),
            "then": self.then.as_dict(),
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class ScoreThresholds:
    """Score at or above ``red`` → red; at or above ``yellow`` → yellow; else green."""

    red: int
    yellow: int


@dataclass(frozen=True, slots=True)
class RandomSelection:
    """The auditable random floor, and the ceiling a capacity-aware component may raise it to."""

    min_random_red_rate: float
    min_random_yellow_rate: float
    max_random_red_rate: float


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A versioned set of rules; an assessment records the version it was made with."""

    version: int
    rules: tuple[RiskRule, ...]
    watch_lists: tuple[WatchList, ...]
    thresholds: ScoreThresholds
    expected_rates: dict[SelectivityLane, float]  # target lane shares, to monitor drift
    random_selection: RandomSelection
    blue_for_ratings: tuple[str, ...] = ()
    about: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON document this ruleset was loaded from (same shape as risk_rules.json)."""
        out: dict[str, Any] = {}
        if self.about:
            out["about"] = self.about
        out.update(
            {
                "version": self.version,
                "score_thresholds": {"red": self.thresholds.red, "yellow": self.thresholds.yellow},
                "expected_rates": {lane.value: r for lane, r in self.expected_rates.items()},
                "random_selection": {
                    "min_random_red_rate": self.random_selection.min_random_red_rate,
                    "min_random_yellow_rate": self.random_selection.min_random_yellow_rate,
                    "max_random_red_rate": self.random_selection.max_random_red_rate,
                },
                "blue_for_ratings": list(self.blue_for_ratings),
                "watch_lists": [w.as_dict() for w in self.watch_lists],
                "rules": [r.as_dict() for r in self.rules],
            }
        )
        return out


@dataclass(frozen=True, slots=True)
class FiredRule:
    """A rule whose conditions all held for this declaration."""

    rule_id: str
    effect: RuleEffect
    description_en: str
    description_zh: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "effect": self.effect.label,
            **self.effect.as_dict(),
            "description_en": self.description_en,
            "description_zh": self.description_zh,
        }


@dataclass(frozen=True, slots=True)
class RandomDraw:
    """Everything needed to recompute the random selection: seed, draw, and the rates used."""

    seed: str
    draw: float
    red_rate: float  # applied
    yellow_rate: float
    requested_red_rate: float | None
    rate_reason: str  # floor | requested | clamped_to_floor | clamped_to_ceiling
    selected: bool  # the draw fell in the red or yellow band
    escalated_to: SelectivityLane | None  # lane the draw raised the declaration to, if any

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "draw": self.draw,
            "red_rate": self.red_rate,
            "yellow_rate": self.yellow_rate,
            "requested_red_rate": self.requested_red_rate,
            "rate_reason": self.rate_reason,
            "selected": self.selected,
            "escalated_to": None if self.escalated_to is None else self.escalated_to.value,
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    """The selectivity decision for one declaration, with all it takes to audit it."""

    declaration_id: str
    lane: SelectivityLane
    lane_before_random: SelectivityLane
    score: int
    fired: tuple[FiredRule, ...]
    forced_by: str | None
    blue_by_rating: bool  # green turned blue because of the enterprise rating
    random: RandomDraw
    ruleset_version: int
    explanation_en: str
    explanation_zh: str = field(default="")

    def as_dict(self) -> dict[str, Any]:
        return {
            "declaration_id": self.declaration_id,
            "lane": self.lane.value,
            "lane_before_random": self.lane_before_random.value,
            "score": self.score,
            "fired": [f.as_dict() for f in self.fired],
            "forced_by": self.forced_by,
            "blue_by_rating": self.blue_by_rating,
            "random": self.random.as_dict(),
            "ruleset_version": self.ruleset_version,
            "explanation_en": self.explanation_en,
            "explanation_zh": self.explanation_zh,
        }
