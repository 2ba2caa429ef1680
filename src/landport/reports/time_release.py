"""Time-release figures (WCO Time Release Study), live from the events of each consignment.

Each consignment contributes the instants it has reached; a segment is measured only when
both of its ends are known, so trucks still in the yard or on the road count for the
segments they have completed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from landport.shared.stats import percentile

#: The milestones in order: declared at the land port, through the yard, to the border.
MILESTONES: tuple[str, ...] = (
    "declared",
    "gated_in",
    "at_lane",
    "released",
    "sealed",
    "parked",
    "gated_out",
    "border_arrival",
    "border_release",
)
MILESTONE_ZH: Mapping[str, str] = {
    "declared": "申报",
    "gated_in": "入闸",
    "at_lane": "上查验线",
    "released": "海关放行",
    "sealed": "施封",
    "parked": "停车",
    "gated_out": "出闸",
    "border_arrival": "抵达口岸",
    "border_release": "口岸放行",
}
#: The truck-visit steps that mark a milestone: a truck sent to a bay first reached the
#: inspection lane there.
STEP_MILESTONE: Mapping[str, str] = {
    "gated_in": "gated_in",
    "at_lane": "at_lane",
    "at_bay": "at_lane",
    "parked": "parked",
    "gated_out": "gated_out",
}
#: Whole-journey spans reported beside the step-by-step segments.
SPANS: tuple[tuple[str, str], ...] = (
    ("declared", "released"),  # customs clearance at the land port
    ("gated_in", "sealed"),  # the truck's customs handling: inspected, released, sealed
    ("gated_in", "gated_out"),  # the truck's stay in the yard
    ("declared", "border_release"),  # declaration to exit
)


@dataclass(frozen=True)
class Consignment:
    """The instants one declaration (and its truck) reached, with its lane and exit port."""

    declaration_id: str
    lane: str | None
    exit_port: str
    reached: Mapping[str, datetime] = field(default_factory=dict)


def _p(minutes: Sequence[float], q: float) -> float | None:
    value = percentile(minutes, q)
    return None if value is None else round(value, 1)


def _summary(minutes: Sequence[float]) -> dict[str, Any]:
    if not minutes:
        return {"count": 0, "p50_min": None, "p90_min": None, "mean_min": None}
    return {
        "count": len(minutes),
        "p50_min": _p(minutes, 50),
        "p90_min": _p(minutes, 90),
        "mean_min": round(sum(minutes) / len(minutes), 1),
    }


def _segments(items: Iterable[Consignment]) -> dict[str, list[float]]:
    pairs = list(pairwise(MILESTONES)) + list(SPANS)
    out: dict[str, list[float]] = {f"{a}->{b}": [] for a, b in pairs}
    for c in items:
        for a, b in pairs:
            start, end = c.reached.get(a), c.reached.get(b)
            if start is not None and end is not None and end >= start:
                out[f"{a}->{b}"].append((end - start).total_seconds() / 60.0)
    return out


def time_release(consignments: Sequence[Consignment]) -> dict[str, Any]:
    """p50/p90 of every segment: overall, per selectivity lane and per exit port."""

    def table(items: Sequence[Consignment]) -> dict[str, Any]:
        return {name: _summary(values) for name, values in _segments(items).items()}

    lanes = sorted({c.lane for c in consignments if c.lane})
    ports = sorted({c.exit_port for c in consignments})
    return {
        "milestones": [{"code": m, "name_zh": MILESTONE_ZH[m]} for m in MILESTONES],
        "consignments": len(consignments),
        "overall": table(consignments),
        "by_lane": {lane: table([c for c in consignments if c.lane == lane]) for lane in lanes},
        "by_port": {p: table([c for c in consignments if c.exit_port == p]) for p in ports},
    }
