"""Plain-language reasons for the officer, in English and Chinese, built from the assessment."""

from __future__ import annotations

from landport.risk.model import (
    LANE_NAME_ZH,
    FiredRule,
    RandomDraw,
    RiskFacts,
    ScoreThresholds,
    SelectivityLane,
)

_FORCES_EN = {
    SelectivityLane.RED: "forces examination",
    SelectivityLane.YELLOW: "forces a document check",
    SelectivityLane.GREEN: "forces release",
    SelectivityLane.BLUE: "forces release with post-clearance audit",
}
_FORCES_ZH = {
    SelectivityLane.RED: "要求查验",
    SelectivityLane.YELLOW: "要求单证审核",
    SelectivityLane.GREEN: "要求直接放行",
    SelectivityLane.BLUE: "要求先放行后稽查",
}
_RATING_ZH = {"advanced": "高级认证企业", "general": "一般信用企业", "untrusted": "失信企业"}
_REASON_EN = {
    "floor": "",
    "requested": " Red rate {red} as requested for examination capacity.",
    "clamped_to_floor": " Red rate {red}: requested {req} raised to the floor.",
    "clamped_to_ceiling": " Red rate {red}: requested {req} lowered to the ceiling.",
}
_REASON_ZH = {
    "floor": "",
    "requested": "红色抽查比例 {red} 按查验能力申请执行。",
    "clamped_to_floor": "红色抽查比例 {red}：申请的 {req} 低于下限，已提高到下限。",
    "clamped_to_ceiling": "红色抽查比例 {red}：申请的 {req} 高于上限，已降到上限。",
}


def pct(rate: float) -> str:
    """1.0%, 0.47%, 5.0%: one decimal unless the rate needs two."""
    text = f"{rate:.2%}"
    return text[:-2] + "%" if text.endswith("0%") else text


def _scored(fired: tuple[FiredRule, ...]) -> str:
    return ", ".join(
        f.effect.label.replace("score ", f"{f.rule_id} ")
        for f in fired
        if f.effect.score is not None
    )


def _rules_reason(
    lane: SelectivityLane,
    score: int,
    fired: tuple[FiredRule, ...],
    forced_by: str | None,
    blue_by_rating: bool,
    facts: RiskFacts,
    t: ScoreThresholds,
) -> tuple[str, str]:
    if forced_by is not None:
        rule = next(f for f in fired if f.rule_id == forced_by)
        return (
            f"rule {forced_by} {_FORCES_EN[lane]} ({rule.description_en})",
            f"规则 {forced_by} {_FORCES_ZH[lane]}（{rule.description_zh}）",
        )
    scored = _scored(fired)
    by_en = f" ({scored})" if scored else ""
    by_zh = f"（{scored}）" if scored else ""
    if lane is SelectivityLane.RED:
        return (
            f"risk score {score} reaches the red threshold {t.red}{by_en}",
            f"风险分值 {score} 达到红色阈值 {t.red}{by_zh}",
        )
    if lane is SelectivityLane.YELLOW:
        return (
            f"risk score {score} reaches the yellow threshold {t.yellow}{by_en}",
            f"风险分值 {score} 达到黄色阈值 {t.yellow}{by_zh}",
        )
    en = f"risk score {score} is below the yellow threshold {t.yellow}{by_en}"
    zh = f"风险分值 {score} 低于黄色阈值 {t.yellow}{by_zh}"
    if blue_by_rating:
        rating = facts.enterprise_rating
        en += f"; {rating}-rated enterprise, released now with post-clearance audit"
        zh += f"；{_RATING_ZH.get(rating, rating)}，先放行后稽查"
    return en, zh


def explain(
    lane: SelectivityLane,
    lane_before_random: SelectivityLane,
    score: int,
    fired: tuple[FiredRule, ...],
    forced_by: str | None,
    blue_by_rating: bool,
    facts: RiskFacts,
    thresholds: ScoreThresholds,
    draw: RandomDraw,
) -> tuple[str, str]:
    """E.g. "Red lane: rule R-LI-PRIMARY forces examination (...). Random draw 0.7340 ..."."""
    why_en, why_zh = _rules_reason(
        lane_before_random, score, fired, forced_by, blue_by_rating, facts, thresholds
    )
    red, yellow = pct(draw.red_rate), pct(draw.yellow_rate)
    req = "" if draw.requested_red_rate is None else pct(draw.requested_red_rate)
    note_en = _REASON_EN[draw.rate_reason].format(red=red, req=req)
    note_zh = _REASON_ZH[draw.rate_reason].format(red=red, req=req)
    value = f"{draw.draw:.4f}"
    head_en = f"{lane.value.capitalize()} lane: "
    head_zh = f"{LANE_NAME_ZH[lane]}："
    if draw.escalated_to is not None:
        to_red = draw.escalated_to is SelectivityLane.RED
        band_en = (
            f"below the {red} red rate"
            if to_red
            else (f"between the {red} red rate and {pct(draw.red_rate + draw.yellow_rate)}")
        )
        band_zh = (
            f"低于红色抽查比例 {red}"
            if to_red
            else (f"介于红色 {red} 与 {pct(draw.red_rate + draw.yellow_rate)} 之间")
        )
        before = lane_before_random
        return (
            f"{head_en}selected at random (draw {value} {band_en}). "
            f"Without the draw: {before.value} lane, {why_en}.{note_en}",
            f"{head_zh}随机抽中（抽签值 {value} {band_zh}）。"
            f"未抽中时为{LANE_NAME_ZH[before]}：{why_zh}。{note_zh}",
        )
    if draw.selected:
        tail_en = (
            f"Random draw {value} fell in the selection band (red {red}, yellow {yellow}); "
            f"lane already {lane.value}."
        )
        tail_zh = (
            f"随机抽签值 {value} 落入抽查区间（红 {red}，黄 {yellow}），已为{LANE_NAME_ZH[lane]}。"
        )
    else:
        floor = pct(draw.red_rate + draw.yellow_rate)
        tail_en = (
            f"Random draw {value} above the {floor} selection floor (red {red} + yellow {yellow})."
        )
        tail_zh = f"随机抽签值 {value} 高于 {floor} 抽查比例（红 {red} + 黄 {yellow}），未抽中。"
    return f"{head_en}{why_en}. {tail_en}{note_en}", f"{head_zh}{why_zh}。{tail_zh}{note_zh}"
