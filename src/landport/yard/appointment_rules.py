"""The published booking rules: the per-forwarder peak quota and the no-show fairness rule.

Both are published (`GET /api/v1/appointments/rules`) in English and Chinese, with their
parameters, so a forwarder can see why a booking was refused and when priority returns.
"""

from __future__ import annotations

from landport.shared.errors import Violation
from landport.yard.appointment_model import (
    AppointmentPolicy,
    PublishedRule,
    Resource,
    Standing,
)


def fairness_rule(policy: AppointmentPolicy | None = None) -> PublishedRule:
    """The no-show rule as published: counted per forwarder over a rolling window.

    A forwarder with `no_show_limit` (3) or more no-shows in the last `no_show_window`
    (30 days), making at least `no_show_share` (10%) of its slots there, loses priority
    booking: it may book a slot only within `restricted_horizon` (24 h) of the slot's
    start; it can still arrive as a walk-in when capacity allows.
    A no-show is a booked slot with no arrival by the slot's end plus the grace period.
    """
    p = policy or AppointmentPolicy()
    days = p.no_show_window.days
    hours = int(p.restricted_horizon.total_seconds() // 3600)
    grace = int(p.no_show_grace.total_seconds() // 60)
    share = round(p.peak_share * 100)
    noshare = round(p.no_show_share * 100)
    return PublishedRule(
        code="no_show_priority_loss",
        text_en=(
            f"A truck that has not arrived {grace} minutes after its slot ends is a no-show. "
            f"A forwarder with {p.no_show_limit} or more no-shows in the last {days} days, "
            f"making at least {noshare}% of its slots there, "
            f"may only book slots starting within {hours} hours (walk-ins still admitted "
            f"when capacity allows). In peak hours no forwarder may hold more than "
            f"{share}% of a slot. When a slot is full, requests join its standby list and "
            f"the earliest request is promoted when a place frees."
        ),
        text_zh=(
            f"时段结束后 {grace} 分钟仍未到场视为爽约。近 {days} 天内爽约 {p.no_show_limit} 次"
            f"及以上且占其时段 {noshare}% 及以上的货代，只能预约 {hours} 小时内开始的时段"
            f"（运力允许时仍可临时入场）。"
            f"高峰时段每家货代占用不得超过该时段的 {share}%。时段已满时进入候补，"
            f"有名额空出时按申请先后递补。"
        ),
        parameters={
            "no_show_limit": str(p.no_show_limit),
            "no_show_window_days": str(days),
            "no_show_share_percent": str(noshare),
            "restricted_horizon_hours": str(hours),
            "no_show_grace_minutes": str(grace),
            "peak_share_percent": str(share),
        },
    )


def peak_quota(resource: Resource, policy: AppointmentPolicy) -> int:
    """Places one forwarder may hold in a peak hour (at least one)."""
    return max(1, int(resource.capacity_per_hour * policy.peak_share))


def is_suspended(standing: Standing, policy: AppointmentPolicy) -> bool:
    """Enough no-shows, and enough of them for the forwarder's volume."""
    missed = standing.no_shows
    if missed < policy.no_show_limit:
        return False
    slots = standing.no_shows + standing.arrivals
    return missed >= policy.no_show_share * max(slots, missed)


def suspension_violation(policy: AppointmentPolicy) -> Violation:
    rule = fairness_rule(policy)
    return Violation(
        "forwarder",
        rule.code,
        f"priority booking suspended: {rule.text_en}",
        f"已暂停优先预约：{rule.text_zh}",
    )


def quota_violation(resource: Resource, policy: AppointmentPolicy) -> Violation:
    quota = peak_quota(resource, policy)
    share = round(policy.peak_share * 100)
    return Violation(
        "forwarder",
        "peak_quota_exceeded",
        f"in peak hours a forwarder may hold at most {quota} place(s) ({share}% of the slot)",
        f"高峰时段每家货代最多占用 {quota} 个名额（该时段的 {share}%）",
    )
