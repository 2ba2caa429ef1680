"""Loading a ruleset document: every mistake is reported at once, by path, in English and Chinese.

A rule that silently never fires (a typo in a key, an unknown watch list) is worse than a
refused upload, so unknown keys are errors too.
"""

from __future__ import annotations

from typing import Any

from landport.risk.document_check import DocumentCheck
from landport.risk.model import (
    BOOL_CONDITIONS,
    LIST_CONDITIONS,
    WATCH_LIST_FIELDS,
    RandomSelection,
    RiskRule,
    RuleCondition,
    RuleEffect,
    RuleSet,
    ScoreThresholds,
    SelectivityLane,
    WatchList,
)
from landport.shared.errors import InvalidInput, Violation

RATINGS = ("advanced", "general", "untrusted")  # CreditRating values, kept here to stay pure
LANES = tuple(lane.value for lane in SelectivityLane)
TOP_KEYS = {
    "about",
    "version",
    "score_thresholds",
    "expected_rates",
    "random_selection",
    "blue_for_ratings",
    "watch_lists",
    "rules",
}
RULE_KEYS = {"id", "description_en", "description_zh", "enabled", "when", "then", "note"}
WHEN_KEYS = {*LIST_CONDITIONS, *BOOL_CONDITIONS, "on_watch_list"}
RATE_KEYS = ("min_random_red_rate", "min_random_yellow_rate", "max_random_red_rate")


def _watch_list(c: DocumentCheck, raw: Any, path: str) -> WatchList | None:
    data = c.mapping(raw, path)
    if data is None:
        return None
    c.keys(data, {"name", "field", "values", "note"}, path)
    name = c.text(data, "name", path)
    field = data.get("field")
    if field not in WATCH_LIST_FIELDS:
        c.add(
            f"{path}.field",
            "invalid_value",
            f"{path}.field must be one of {', '.join(WATCH_LIST_FIELDS)}",
            f"{path}.field 必须是 {'、'.join(WATCH_LIST_FIELDS)} 之一",
        )
        field = None
    if field == "hs_prefix":
        values = c.hs_prefixes(data.get("values"), f"{path}.values", allow_empty=True)
    else:
        values = c.texts(data.get("values"), f"{path}.values", allow_empty=True)
    note = data.get("note", "")
    if name is None or field is None or values is None:
        return None
    return WatchList(name=name, field=field, values=values, note=str(note))


def _condition(c: DocumentCheck, raw: Any, path: str, lists: set[str]) -> RuleCondition | None:
    data = c.mapping(raw, path)
    if data is None:
        return None
    c.keys(data, WHEN_KEYS, path)
    ok = True
    found: dict[str, Any] = {}
    for key in LIST_CONDITIONS:
        if key not in data:
            continue
        where = f"{path}.{key}"
        items = (c.hs_prefixes if key == "hs_prefix" else c.texts)(data[key], where)
        if items is not None and key == "rating" and not c.one_of(items, RATINGS, where):
            items = None
        ok = ok and items is not None
        found[key] = items
    for key in BOOL_CONDITIONS:
        if key not in data:
            continue
        if isinstance(data[key], bool):
            found[key] = data[key]
        else:
            c.add(
                f"{path}.{key}",
                "wrong_type",
                f"{path}.{key} must be true or false",
                f"{path}.{key} 必须是 true 或 false",
            )
            ok = False
    if "on_watch_list" in data:
        name = data["on_watch_list"]
        if name not in lists:
            c.add(
                f"{path}.on_watch_list",
                "unknown_watch_list",
                f"{path}.on_watch_list names no watch list: {name!r}",
                f"{path}.on_watch_list 指向不存在的布控名单：{name!r}",
            )
            ok = False
        found["on_watch_list"] = name
    if not data and ok:
        c.add(
            path,
            "matches_everything",
            f"{path} is empty: the rule fires for every declaration",
            f"{path} 为空：该规则对所有报关单生效",
            "warning",
        )
    return RuleCondition(**found) if ok else None


def _effect(c: DocumentCheck, raw: Any, path: str) -> RuleEffect | None:
    data = c.mapping(raw, path)
    if data is None:
        return None
    c.keys(data, {"force_lane", "score"}, path)
    if ("force_lane" in data) == ("score" in data):
        c.add(
            path,
            "one_effect",
            f"{path} needs exactly one of force_lane or score",
            f"{path} 必须且只能包含 force_lane 或 score 之一",
        )
        return None
    if "force_lane" in data:
        lane = data["force_lane"]
        if lane in LANES:
            return RuleEffect(force_lane=SelectivityLane(lane))
        c.add(
            f"{path}.force_lane",
            "invalid_value",
            f"{path}.force_lane must be one of {', '.join(LANES)}, got {lane!r}",
            f"{path}.force_lane 必须是 {'、'.join(LANES)} 之一",
        )
        return None
    score = c.integer(data["score"], f"{path}.score")
    return None if score is None else RuleEffect(score=score)


def _rule(c: DocumentCheck, raw: Any, path: str, lists: set[str]) -> RiskRule | None:
    data = c.mapping(raw, path)
    if data is None:
        return None
    c.keys(data, RULE_KEYS, path)
    rule_id = c.text(data, "id", path)
    en = c.text(data, "description_en", path)
    zh = c.text(data, "description_zh", path)
    enabled = data.get("enabled")
    if not isinstance(enabled, bool):
        c.add(
            f"{path}.enabled",
            "wrong_type",
            f"{path}.enabled must be true or false",
            f"{path}.enabled 必须是 true 或 false",
        )
    when = _condition(c, data.get("when"), f"{path}.when", lists)
    then = _effect(c, data.get("then"), f"{path}.then")
    if rule_id is None or en is None or zh is None or when is None or then is None:
        return None
    if not isinstance(enabled, bool):
        return None
    note = data.get("note", "")
    return RiskRule(rule_id, en, zh, enabled, when, then, str(note))


def _rates(
    c: DocumentCheck, doc: dict[str, Any]
) -> tuple[dict[SelectivityLane, float], RandomSelection | None]:
    expected: dict[SelectivityLane, float] = {}
    raw = c.mapping(doc.get("expected_rates"), "expected_rates")
    if raw is not None:
        c.keys(raw, set(LANES), "expected_rates")
        for lane in SelectivityLane:
            value = c.rate(raw.get(lane.value), f"expected_rates.{lane.value}")
            if value is not None:
                expected[lane] = value
        if len(expected) == len(LANES) and abs(sum(expected.values()) - 1.0) > 1e-6:
            c.add(
                "expected_rates",
                "rates_do_not_sum_to_one",
                "expected_rates should add up to 1 (they are shares of all declarations)",
                "expected_rates 之和应为 1（各通道占全部报关单的比例）",
                "warning",
            )
    sel = c.mapping(doc.get("random_selection"), "random_selection")
    if sel is None:
        return expected, None
    c.keys(sel, set(RATE_KEYS), "random_selection")
    red, yellow, top = (c.rate(sel.get(k), f"random_selection.{k}") for k in RATE_KEYS)
    if red is None or yellow is None or top is None:
        return expected, None
    if top < red:
        c.add(
            "random_selection.max_random_red_rate",
            "ceiling_below_floor",
            "max_random_red_rate must not be below min_random_red_rate",
            "max_random_red_rate 不得低于 min_random_red_rate",
        )
        return expected, None
    if top + yellow > 1.0:
        c.add(
            "random_selection",
            "rates_exceed_one",
            "max_random_red_rate + min_random_yellow_rate must not exceed 1",
            "max_random_red_rate 与 min_random_yellow_rate 之和不得超过 1",
        )
        return expected, None
    return expected, RandomSelection(red, yellow, top)


def validate_ruleset(doc: Any) -> tuple[RuleSet | None, list[Violation]]:
    """The ruleset if the document has no errors, and every violation found (warnings too)."""
    c = DocumentCheck()
    data = c.mapping(doc, "ruleset")
    if data is None:
        return None, c.violations
    c.keys(data, TOP_KEYS, "")
    version = c.integer(data.get("version"), "version")
    if version is not None and version < 1:
        c.add("version", "invalid_value", "version must be 1 or more", "version 必须大于等于 1")
    thresholds = None
    raw_t = c.mapping(data.get("score_thresholds"), "score_thresholds")
    if raw_t is not None:
        c.keys(raw_t, {"red", "yellow"}, "score_thresholds")
        red = c.integer(raw_t.get("red"), "score_thresholds.red")
        yellow = c.integer(raw_t.get("yellow"), "score_thresholds.yellow")
        if red is not None and yellow is not None:
            if yellow > red:
                c.add(
                    "score_thresholds.yellow",
                    "yellow_above_red",
                    "score_thresholds.yellow must not exceed score_thresholds.red",
                    "score_thresholds.yellow 不得高于 score_thresholds.red",
                )
            else:
                thresholds = ScoreThresholds(red=red, yellow=yellow)
    expected, selection = _rates(c, data)
    blue = c.texts(data.get("blue_for_ratings", []), "blue_for_ratings", allow_empty=True)
    if blue is not None and not c.one_of(blue, RATINGS, "blue_for_ratings"):
        blue = None

    watch_lists: list[WatchList] = []
    raw_lists = data.get("watch_lists", [])
    if not isinstance(raw_lists, list):
        c.add("watch_lists", "wrong_type", "watch_lists must be a list", "watch_lists 必须是列表")
        raw_lists = []
    for i, raw in enumerate(raw_lists):
        wl = _watch_list(c, raw, f"watch_lists[{i}]")
        if wl is not None and any(w.name == wl.name for w in watch_lists):
            c.add(
                f"watch_lists[{i}].name",
                "duplicate",
                f"watch list {wl.name!r} is defined twice",
                f"布控名单 {wl.name!r} 重复定义",
            )
        elif wl is not None:
            watch_lists.append(wl)
    names = {
        raw["name"]
        for raw in raw_lists
        if isinstance(raw, dict) and isinstance(raw.get("name"), str)
    }

    rules: list[RiskRule] = []
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list):
        c.add("rules", "wrong_type", "rules must be a list", "rules 必须是列表")
        raw_rules = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        rule = _rule(c, raw, f"rules[{i}]", names)
        if rule is None:
            continue
        if rule.id in seen:
            c.add(
                f"rules[{i}].id",
                "duplicate",
                f"rule id {rule.id!r} is used twice",
                f"规则编号 {rule.id!r} 重复",
            )
        seen.add(rule.id)
        rules.append(rule)

    if any(v.severity == "error" for v in c.violations):
        return None, c.violations
    assert version is not None and thresholds is not None and selection is not None
    assert blue is not None
    about = data.get("about", "")
    ruleset = RuleSet(
        version=version,
        rules=tuple(rules),
        watch_lists=tuple(watch_lists),
        thresholds=thresholds,
        expected_rates=expected,
        random_selection=selection,
        blue_for_ratings=blue,
        about=str(about),
    )
    return ruleset, c.violations


def ruleset_from_dict(doc: Any) -> RuleSet:
    """Load a ruleset document (e.g. risk_rules.json); InvalidInput lists every error."""
    ruleset, violations = validate_ruleset(doc)
    if ruleset is None:
        raise InvalidInput(violations)
    return ruleset
