"""Throughput of the selectivity engine with 200 rules, indexed against a linear baseline.

Goal from the issue: >= 20,000 assessments/s on one core. No pass/fail here: the figures
are reported, the integrator decides.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

try:
    import landport  # noqa: F401
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from landport.risk.engine import assess, compile_ruleset
from landport.risk.model import RiskFacts, RuleSet
from landport.risk.validation import ruleset_from_dict

HEADINGS = [
    "850650",
    "850760",
    "870380",
    "854142",
    "854143",
    "940161",
    "940360",
    "611020",
    "620342",
    "640299",
    "846300",
    "847130",
    "851712",
    "852872",
    "392690",
    "732393",
    "761510",
    "691200",
    "420212",
    "950300",
    "711319",
    "090230",
    "200899",
    "220300",
    "271019",
    "300490",
    "330499",
    "391590",
    "441399",
    "481910",
    "560900",
    "630790",
    "680221",
    "700992",
    "721049",
    "730890",
    "740811",
    "830140",
    "841810",
    "842139",
    "843149",
    "844332",
    "848180",
    "850440",
    "851610",
    "853400",
    "870421",
    "871160",
    "900219",
    "910211",
    "940540",
    "960330",
    "970110",
    "010121",
    "030389",
    "080250",
]
TRADE_MODES = ["0110", "4019", "9610", "9710", "9810", "1039"]
PROVINCES = [
    "zhejiang",
    "guangdong",
    "jiangsu",
    "fujian",
    "shandong",
    "sichuan",
    "xizang",
    "shanghai",
    "hebei",
    "henan",
    "hubei",
    "chongqing",
]
PORTS = ["gyirong-port", "zhangmu-port", "lizi-port"]
COUNTRIES = ["IN", "BD", "PK", "LK"] + ["NP"] * 40
RATINGS = ["general"] * 15 + ["advanced"] * 4 + ["untrusted"]


class _Pick:
    """Deterministic choices from SHA-256 of a counter: same data on every run, no RNG state."""

    def __init__(self, label: str) -> None:
        self.label, self.n = label, 0

    def unit(self) -> float:
        self.n += 1
        digest = hashlib.sha256(f"{self.label}:{self.n}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def between(self, lo: int, hi: int) -> int:
        return lo + int(self.unit() * (hi - lo + 1))

    def one(self, items: list[str]) -> str:
        return items[int(self.unit() * len(items))]

    def some(self, items: list[str], k: int) -> list[str]:
        return sorted({self.one(items) for _ in range(k)})


def _hs_prefix(p: _Pick) -> str:
    """Chapters, headings, subheadings and national lines, weighted to 6 digits."""
    heading = p.one(HEADINGS)
    length = p.one(["2", "4", "4", "6", "6", "6", "6", "8", "8"])
    return heading + f"{p.between(0, 99):02d}" if length == "8" else heading[: int(length)]


def build_ruleset(n_rules: int = 200) -> RuleSet:
    """A realistic mix: mostly HS-prefix rules, then trade modes, provinces, watch lists."""
    p = _Pick("rules")
    watch_lists: list[dict[str, Any]] = []
    fields = ["consignor_uscc", "vehicle_plate", "declarant", "container_number", "hs_prefix"]
    for i in range(10):
        field = fields[i % len(fields)]
        if field == "hs_prefix":
            values = [p.one(HEADINGS)[:4] for _ in range(3)]
        else:
            values = [f"{field[:4].upper()}{p.between(0, 399):04d}" for _ in range(20)]
        watch_lists.append({"name": f"WL-{i}", "field": field, "values": sorted(set(values))})
    rules: list[dict[str, Any]] = []
    for i in range(n_rules):
        kind = i % 20
        when: dict[str, Any]
        if kind < 11:
            when = {"hs_prefix": [_hs_prefix(p) for _ in range(p.between(1, 3))]}
            extra = p.between(0, 5)
            if extra == 0:
                when["first_time_exporter"] = True
            elif extra == 1:
                when["trade_mode"] = p.some(TRADE_MODES, 2)
            elif extra == 2:
                when["value_per_kg_outside_band"] = True
            elif extra == 3:
                when["origin_province"] = p.some(PROVINCES, 2)
        elif kind < 13:
            when = {"trade_mode": p.some(TRADE_MODES, 1), "origin_province": p.some(PROVINCES, 2)}
        elif kind < 15:
            when = {"origin_province": p.some(PROVINCES, 2), "value_per_kg_outside_band": True}
        elif kind < 17:
            when = {"on_watch_list": f"WL-{p.between(0, 9)}"}
        elif kind == 17:
            when = {"destination_country": p.some(COUNTRIES[:4], 2)}
        elif kind == 18:
            when = {"exit_port": [p.one(PORTS)], "first_time_exporter": True}
        else:
            r = p.unit()
            if r < 0.45:
                when = {"rating": ["untrusted"]}
            elif r < 0.9:
                when = {"value_per_kg_outside_band": True}
            else:
                when = {}  # fires for everyone: the general list
        r = p.unit()
        then: dict[str, Any]
        if r < 0.03:
            then = {"force_lane": "red"}
        elif r < 0.07:
            then = {"force_lane": "yellow"}
        elif r < 0.08:
            then = {"force_lane": "green"}
        else:
            then = {"score": int(p.one(["-20", "-10", "5", "5", "10", "10", "15", "20", "35"]))}
        rules.append(
            {
                "id": f"B-{i:03d}",
                "description_en": f"bench rule {i}",
                "description_zh": f"测试规则 {i}",
                "enabled": True,
                "when": when,
                "then": then,
            }
        )
    return ruleset_from_dict(
        {
            "version": 1,
            "score_thresholds": {"red": 60, "yellow": 30},
            "expected_rates": {"green": 0.74, "blue": 0.14, "yellow": 0.08, "red": 0.04},
            "random_selection": {
                "min_random_red_rate": 0.01,
                "min_random_yellow_rate": 0.02,
                "max_random_red_rate": 0.05,
            },
            "blue_for_ratings": ["advanced"],
            "watch_lists": watch_lists,
            "rules": rules,
        }
    )


def _goods_line(p: _Pick) -> str:
    """A 10-digit code: a quarter from the risk-relevant headings, the rest ordinary goods."""
    if p.unit() < 0.25:
        heading = p.one(HEADINGS)
    else:
        heading = f"{p.between(1, 97):02d}{p.between(1, 99):02d}{p.between(10, 99)}"
    return heading + f"{p.between(0, 99):02d}00"


def build_facts(count: int = 5000) -> list[RiskFacts]:
    p = _Pick("facts")
    facts = []
    for i in range(count):
        codes = tuple(_goods_line(p) for _ in range(p.between(1, 5)))
        breaches = tuple(c for c in codes if p.unit() < 0.03)
        facts.append(
            RiskFacts(
                declaration_id=f"D{i:08d}",
                trade_mode=p.one(TRADE_MODES),
                consignor_uscc=f"CONS{p.between(0, 3999):04d}",
                enterprise_rating=p.one(RATINGS),
                first_time_exporter=p.unit() < 0.1,
                exit_port=p.one(PORTS),
                destination_country=p.one(COUNTRIES),
                origin_provinces=tuple(p.some(PROVINCES, p.between(1, 2))),
                hs_codes=codes,
                value_band_breaches=breaches,
                declarant=f"DECL{p.between(0, 3999):04d}",
                vehicle_plate=f"VEHI{p.between(0, 3999):04d}",
                container_numbers=tuple(
                    f"CONT{p.between(0, 3999):04d}" for _ in range(p.between(0, 2))
                ),
            )
        )
    return facts


def _rate(ruleset: RuleSet, facts: list[RiskFacts], n: int, use_index: bool) -> float:
    compiled = compile_ruleset(ruleset, use_index=use_index)
    batch = [facts[i % len(facts)] for i in range(n)]
    start = time.perf_counter()
    for f in batch:
        assess(f, compiled, seed="bench-2025")
    return n / (time.perf_counter() - start)


def measure(n: int = 50_000) -> dict[str, Any]:
    ruleset = build_ruleset(200)
    facts = build_facts()
    indexed = _rate(ruleset, facts, n, use_index=True)
    naive = _rate(ruleset, facts, n, use_index=False)
    return {
        "risk_assessments_per_s": round(indexed),
        "risk_rules": len(ruleset.rules),
        "risk_naive_assessments_per_s": round(naive),
    }


if __name__ == "__main__":
    print(json.dumps(measure()))
