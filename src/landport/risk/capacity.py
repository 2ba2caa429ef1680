"""Capacity-aware selectivity: the live scan-lane queue turned into a requested random red rate.

An idle scanner can image more trucks at no cost to trade, a long line costs every truck
in it; so the *random* red rate rises towards the ruleset's ceiling when the lanes are idle
and falls to its floor when the expected wait is long. The engine clamps the request to
`[min_random_red_rate, max_random_red_rate]` (`engine.applied_red_rate`): rule-forced lanes
and the floor never move. Without live figures (the yard is not operating) nothing is
requested and the floor applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from landport.risk.model import RandomSelection


@dataclass(frozen=True, slots=True)
class ScanQueue:
    """The scan lanes now: trucks in line, trucks being imaged, lanes, and the wait."""

    trucks_waiting: int
    trucks_at_lanes: int
    lanes: int
    open_lanes: int
    expected_wait_minutes: float  # what a red truck sent now would wait at the best lane

    def as_dict(self) -> dict[str, Any]:
        return {
            "trucks_waiting": self.trucks_waiting,
            "trucks_at_lanes": self.trucks_at_lanes,
            "lanes": self.lanes,
            "open_lanes": self.open_lanes,
            "expected_wait_minutes": self.expected_wait_minutes,
        }


@dataclass(frozen=True, slots=True)
class CapacityFeedback:
    """At or under `idle_wait_minutes` the ceiling is asked for, at or over `busy_wait_minutes`
    the floor; in between the request falls in a straight line."""

    idle_wait_minutes: float = 5.0
    busy_wait_minutes: float = 45.0


@dataclass(frozen=True, slots=True)
class RateRequest:
    """The random red rate asked of the engine, the queue it was read from, and why."""

    rate: float
    queue: ScanQueue
    reason_en: str
    reason_zh: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested_red_rate": self.rate,
            "scan_queue": self.queue.as_dict(),
            "reason_en": self.reason_en,
            "reason_zh": self.reason_zh,
        }


def requested_red_rate(
    queue: ScanQueue | None,
    selection: RandomSelection,
    feedback: CapacityFeedback | None = None,
) -> RateRequest | None:
    """The rate to request for this queue; None without live figures (the floor applies)."""
    if queue is None:
        return None
    fb = feedback or CapacityFeedback()
    floor, ceiling = selection.min_random_red_rate, selection.max_random_red_rate
    wait = queue.expected_wait_minutes
    figures = (
        f"{queue.trucks_waiting} waiting, {queue.trucks_at_lanes} at the lanes, "
        f"{queue.open_lanes}/{queue.lanes} lanes open, expected wait {wait:g} min"
    )
    figures_zh = (
        f"排队 {queue.trucks_waiting} 辆，机检中 {queue.trucks_at_lanes} 辆，"
        f"开放机检通道 {queue.open_lanes}/{queue.lanes} 条，预计等候 {wait:g} 分钟"
    )
    if queue.open_lanes == 0:
        return RateRequest(
            floor,
            queue,
            f"scan lanes closed ({figures}): floor rate",
            f"机检通道未开放（{figures_zh}）：按最低比例",
        )
    if wait <= fb.idle_wait_minutes:
        share, en, zh = 1.0, "scan lanes idle", "机检通道空闲"
    elif wait >= fb.busy_wait_minutes:
        share, en, zh = 0.0, "scan lanes congested", "机检通道拥堵"
    else:
        span = fb.busy_wait_minutes - fb.idle_wait_minutes
        share = (fb.busy_wait_minutes - wait) / span
        en, zh = "scan lanes busy", "机检通道繁忙"
    rate = round(floor + (ceiling - floor) * share, 6)
    return RateRequest(
        rate,
        queue,
        f"{en} ({figures}): random red rate {rate:.2%} within {floor:.2%}-{ceiling:.2%}",
        f"{zh}（{figures_zh}）：随机布控比例 {rate:.2%}，范围 {floor:.2%}-{ceiling:.2%}",
    )
