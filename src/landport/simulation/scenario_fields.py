"""Reading a scenario's fields: every violation collected, each naming its field path."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from types import MappingProxyType
from typing import Any, TypeGuard

from landport.adapters.reference_files import packaged_routes
from landport.shared.errors import Violation


@cache
def route_of_port() -> Mapping[str, str]:
    """Each border port's corridor from the yard, as the packaged routes file lists them."""
    return MappingProxyType({port: leg.route_id for port, leg in packaged_routes().items()})


@cache
def route_km() -> Mapping[str, float]:
    """Each corridor's road length: a dead zone or an incident must lie on the road."""
    return MappingProxyType({leg.route_id: leg.road_km for leg in packaged_routes().values()})


def finite_number(value: object) -> TypeGuard[float]:
    """An int or float that is a real quantity: TOML also reads `nan` and `inf`, which every
    comparison of a range check would let through."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


INCIDENT_KINDS = ("route_deviation", "long_stop", "seal_opened", "tamper", "battery_failure")

Hours = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DeadZone:
    route: str
    at_km: float
    length_km: float


@dataclass(frozen=True)
class IncidentRate:
    kind: str
    per_day: float


@dataclass(frozen=True)
class BorderClosure:
    """A border port closed for `days` from the scenario's day `from_day` (0 is the first),
    announced to the yard at 06:00 of `announced_day` (a landslide is news the same morning;
    a holiday is known from the start, day 0)."""

    port: str
    from_day: int
    days: int
    announced_day: int
    reason: str


_ABSENT = object()  # a field the file does not have


def violation(path: str, code: str, en: str, zh: str) -> Violation:
    return Violation(path, code, f"{path}: {en}", f"{path}：{zh}")


class FieldReader:
    """Collects every violation instead of stopping at the first, and remembers which fields
    it read, so that a misspelt one is reported instead of silently taking its default."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.found: list[Violation] = []
        self.read: set[str] = set()
        self.not_tables: set[str] = set()  # a value where the file needed a table

    def unknown_fields(self) -> None:
        """Report every field of the file that no reader asked for (`[officer]` for
        `[officers]`, `sacn_lanes`), suggesting the closest known name."""
        for path, siblings in _unread(self.doc, "", self.read):
            key = path.rpartition(".")[2]
            close = difflib.get_close_matches(key, siblings, n=1)
            hint_en = f"; did you mean '{close[0]}'?" if close else ""
            hint_zh = f"；是否应为「{close[0]}」？" if close else ""
            self.found.append(
                violation(
                    path,
                    "unknown_field",
                    f"is not a scenario field{hint_en}",
                    f"不是场景文件的字段{hint_zh}",
                )
            )

    def has(self, path: str) -> bool:
        """Whether an optional field is in the file at all (it is a known name either way)."""
        return self._walk(path) is not _ABSENT

    def _get(self, path: str, default: Any = ...) -> Any:
        node = self._walk(path)
        if node is _ABSENT:
            if default is not ...:
                return default
            if not self._under_a_scalar(path):
                self.found.append(violation(path, "required", "is required", "为必填项"))
            return None
        return node

    def _walk(self, path: str) -> Any:
        self.read.add(path)
        node: Any = self.doc
        parts = path.split(".")
        for i, part in enumerate(parts):
            if not isinstance(node, Mapping):
                table = ".".join(parts[:i])
                if table not in self.not_tables:  # once, not once per field below it
                    self.not_tables.add(table)
                    self.found.append(
                        violation(table, "not_a_table", "must be a table", "须为表（table）")
                    )
                return _ABSENT
            if part not in node:
                return _ABSENT
            node = node[part]
        return node

    def _under_a_scalar(self, path: str) -> bool:
        return any(path.startswith(f"{table}.") for table in self.not_tables)

    def text(self, path: str, default: str | None = None) -> str:
        value = self._get(path, ... if default is None else default)
        if value is None:
            return ""
        if not isinstance(value, str) or (default is None and not value.strip()):
            self.found.append(
                violation(path, "not_text", "must be a non-empty string", "须为非空字符串")
            )
            return ""
        return value

    def day(self, path: str) -> date:
        value = self._get(path)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        if value is not None:
            self.found.append(
                violation(path, "not_a_date", "must be a date YYYY-MM-DD", "须为日期 YYYY-MM-DD")
            )
        return date(2026, 3, 2)

    def number(
        self,
        path: str,
        *,
        low: float = 0.0,
        high: float | None = None,
        default: float | None = None,
    ) -> float:
        """`default`: the field is optional (older files keep working)."""
        value = self._get(path) if default is None else self._get(path, default)
        if value is None:
            return low
        if not finite_number(value):
            self.found.append(
                violation(path, "not_a_number", "must be a finite number", "须为有限的数字")
            )
            return low
        if value < low or (high is not None and value > high):
            limit = f"between {low:g} and {high:g}" if high is not None else f">= {low:g}"
            zh = f"{low:g} 至 {high:g} 之间" if high is not None else f"不小于 {low:g}"
            self.found.append(violation(path, "out_of_range", f"must be {limit}", f"须在{zh}"))
            return low
        return float(value)

    def integer(self, path: str, *, low: int, high: int) -> int:
        value = self._get(path)
        if value is None:
            return low
        problem = whole_number_problem(path, value, low, high)
        if problem is not None:
            self.found.append(problem)
            return low
        return int(value)

    def share(self, path: str, *, high: float = 1.0, default: float | None = None) -> float:
        return self.number(path, low=0.0, high=high, default=default)

    def pair(
        self, path: str, *, low: float = 0.0, high: float | None = None
    ) -> tuple[float, float]:
        value = self._get(path)
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(finite_number(x) for x in value)
            and low <= value[0] <= value[1] <= (math.inf if high is None else high)
        )
        if value is not None and not ok:
            top, top_zh = (
                ("high", "上限") if high is None else (f"high <= {high:g}", f"上限 ≤ {high:g}")
            )
            self.found.append(
                violation(
                    path,
                    "not_a_range",
                    f"must be [low, high] with {low:g} <= low <= {top}",
                    f"须为 [下限, 上限]，且 {low:g} ≤ 下限 ≤ {top_zh}",
                )
            )
        return (float(value[0]), float(value[1])) if ok else (low, low)

    def triangle(self, path: str) -> tuple[float, float, float]:
        value = self._get(path)
        ok = (
            isinstance(value, list)
            and len(value) == 3
            and all(finite_number(x) for x in value)
            and 0 < value[0] <= value[1] <= value[2]
        )
        if value is not None and not ok:
            self.found.append(
                violation(
                    path,
                    "not_a_triangle",
                    "must be [low, mode, high] minutes, 0 < low <= mode <= high",
                    "须为 [最短, 最常见, 最长] 分钟，且 0 < 最短 ≤ 最常见 ≤ 最长",
                )
            )
        return (float(value[0]), float(value[1]), float(value[2])) if ok else (1.0, 1.0, 1.0)

    def shares(
        self, path: str, allowed: tuple[str, ...], *, whole: bool = False, low: float = 0.0
    ) -> dict[str, float]:
        value = self._get(path)
        if value is None:
            return {}
        if not isinstance(value, Mapping) or not value:
            self.found.append(
                violation(
                    path, "not_a_table", "must be a table of key = number", "须为「键 = 数值」的表"
                )
            )
            return {}
        out: dict[str, float] = {}
        for key, weight in value.items():
            where = f"{path}.{key}"
            if key not in allowed:
                self.found.append(
                    violation(
                        where,
                        "unknown_key",
                        f"must be one of {', '.join(allowed)}",
                        f"须为以下之一：{', '.join(allowed)}",
                    )
                )
            elif (
                not finite_number(weight) or weight < low or (whole and not isinstance(weight, int))
            ):
                kind = f"a whole number >= {low:g}" if whole else f"a finite number >= {low:g}"
                zh = f"须为不小于 {low:g} 的整数" if whole else f"须为不小于 {low:g} 的有限数字"
                self.found.append(violation(where, "bad_weight", f"must be {kind}", zh))
            else:
                out[key] = float(weight)
        if not whole and out and sum(out.values()) <= 0:
            self.found.append(
                violation(path, "all_zero", "needs at least one share above 0", "至少一项须大于 0")
            )
        return out

    def hours(self, path: str, *, single: bool = False) -> Hours:
        value = self._get(path)
        spans = (
            [value]
            if single and isinstance(value, list) and value and isinstance(value[0], str)
            else value
        )
        ok = isinstance(spans, list) and bool(spans)
        parsed: list[tuple[str, str]] = []
        for span in spans if ok else []:
            if (
                isinstance(span, list)
                and len(span) == 2
                and all(isinstance(x, str) and clock_minutes(x) is not None for x in span)
                and (clock_minutes(span[0]) or 0) < (clock_minutes(span[1]) or 0)
            ):
                parsed.append((span[0], span[1]))
            else:
                ok = False
        if value is not None and not ok:
            self.found.append(
                violation(
                    path,
                    "bad_hours",
                    'must be [["HH:MM", "HH:MM"], ...], each opening before its closing',
                    "须为开放时段列表，开始早于结束",
                )
            )
        return tuple(parsed) if ok else (("00:00", "24:00"),)

    def dead_zones(self, path: str) -> tuple[DeadZone, ...]:
        value = self._get(path, default=[])
        zones = []
        lengths = route_km()
        for i, z in enumerate(self._entries(path, value)):
            where = f"{path}[{i}]"
            known = ("route", "at_km", "length_km")
            if isinstance(z, Mapping) and self._only_keys(where, z, known):
                continue
            road = lengths.get(str(z.get("route"))) if isinstance(z, Mapping) else None
            if (
                road is None
                or not isinstance(z, Mapping)
                or not finite_number(z.get("at_km"))
                or not finite_number(z.get("length_km"))
                or z["at_km"] < 0
                or not 0 < z["length_km"] <= 20
                or z["at_km"] + z["length_km"] > road
            ):
                routes = ", ".join(f"{r} {km:g} km" for r, km in lengths.items())
                self.found.append(
                    violation(
                        where,
                        "bad_dead_zone",
                        f"needs route (one of {routes}), at_km >= 0 and 0 < length_km <= 20 "
                        "(a longer silence is an alert by design), the zone ending on the road",
                        f"须有 route（{routes}）、at_km ≥ 0、0 < length_km ≤ 20，且整段位于路线上",
                    )
                )
                continue
            zones.append(DeadZone(z["route"], float(z["at_km"]), float(z["length_km"])))
        return tuple(zones)

    def incidents(self, path: str) -> tuple[IncidentRate, ...]:
        value = self._get(path, default=[])
        out = []
        for i, item in enumerate(self._entries(path, value)):
            where = f"{path}[{i}]"
            if isinstance(item, Mapping) and self._only_keys(where, item, ("kind", "per_day")):
                continue
            if not isinstance(item, Mapping) or item.get("kind") not in INCIDENT_KINDS:
                self.found.append(
                    violation(
                        f"{where}.kind",
                        "unknown_incident",
                        f"must be one of {', '.join(INCIDENT_KINDS)}",
                        f"须为以下之一：{', '.join(INCIDENT_KINDS)}",
                    )
                )
                continue
            rate = item.get("per_day")
            if not finite_number(rate) or not 0 <= rate <= MAX_INCIDENTS_PER_DAY:
                self.found.append(
                    violation(
                        f"{where}.per_day",
                        "bad_rate",
                        f"must be a number between 0 and {MAX_INCIDENTS_PER_DAY}",
                        f"须为 0 至 {MAX_INCIDENTS_PER_DAY} 之间的数字",
                    )
                )
                continue
            out.append(IncidentRate(item["kind"], float(rate)))
        return tuple(out)

    def closures(self, path: str, ports: tuple[str, ...]) -> tuple[BorderClosure, ...]:
        value = self._get(path, default=[])
        out = []
        known = ("port", "from_day", "days", "announced_day", "reason")
        for i, item in enumerate(self._entries(path, value)):
            where = f"{path}[{i}]"
            if isinstance(item, Mapping) and self._only_keys(where, item, known):
                continue
            if not isinstance(item, Mapping):
                item = {}
            problems = len(self.found)
            if item.get("port") not in ports:
                self.found.append(
                    violation(
                        f"{where}.port",
                        "unknown_port",
                        f"must be one of {', '.join(ports)}",
                        f"须为以下之一：{', '.join(ports)}",
                    )
                )
            first = item.get("from_day")
            for key, low, high in (("from_day", 0, 400), ("days", 1, 366)):
                if key not in item:
                    self.found.append(
                        violation(f"{where}.{key}", "required", "is required", "为必填项")
                    )
                elif problem := whole_number_problem(f"{where}.{key}", item[key], low, high):
                    self.found.append(problem)
            announced = item.get("announced_day", 0)
            latest = first if isinstance(first, int) and not isinstance(first, bool) else 400
            if problem := whole_number_problem(f"{where}.announced_day", announced, 0, latest):
                self.found.append(problem)  # news of a closure comes before it ends, at worst
            reason = item.get("reason", "closed in the scenario")
            if not isinstance(reason, str) or not reason.strip():
                self.found.append(
                    violation(
                        f"{where}.reason",
                        "not_text",
                        "must be a non-empty string",
                        "须为非空字符串",
                    )
                )
            if len(self.found) == problems:
                out.append(
                    BorderClosure(
                        item["port"], item["from_day"], item["days"], announced, reason.strip()
                    )
                )
        return tuple(out)

    def _entries(self, path: str, value: Any) -> list[Any]:
        """A list of tables (`[[incidents]]`); anything else is named once."""
        if isinstance(value, list):
            return value
        last = path.rpartition(".")[2]
        self.found.append(
            violation(
                path,
                "not_a_list",
                f"must be a list of tables, each written [[{path}]] (or {last} = [...])",
                f"须为表的列表，每项写作 [[{path}]]",
            )
        )
        return []

    def _only_keys(self, where: str, item: Mapping[str, Any], known: tuple[str, ...]) -> bool:
        """Report keys of a list entry that are not among `known`; True if there were any."""
        extra = [k for k in item if k not in known]
        for key in extra:
            self.found.append(
                violation(
                    f"{where}.{key}",
                    "unknown_field",
                    f"is not a field here; use {', '.join(known)}",
                    f"不是此处的字段，可用：{', '.join(known)}",
                )
            )
        return bool(extra)


#: Expected incidents of one kind a day: a stress test, not every truck of a busy day.
MAX_INCIDENTS_PER_DAY = 100


def whole_number_problem(path: str, value: Any, low: int, high: int) -> Violation | None:
    """The rule for a count (lanes, slots, trucks): a whole number within the bounds the
    model can run; far above them a run would exhaust memory instead of answering."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return violation(
            path,
            "not_positive_int",
            f"must be a whole number between {low} and {high}",
            f"须为 {low} 至 {high} 之间的整数",
        )
    return None


def _unread(node: Any, prefix: str, read: set[str]) -> Iterator[tuple[str, list[str]]]:
    """Paths in a table that no reader asked for, with the names that are known beside them."""
    if not isinstance(node, Mapping):
        return
    known = sorted(
        {p[len(prefix) :].split(".", 1)[0] for p in read if p.startswith(prefix) and p != prefix}
    )
    for key, child in node.items():
        path = f"{prefix}{key}"
        if path in read:
            continue  # read whole (a table of shares, a list of zones)
        if any(p.startswith(f"{path}.") for p in read):  # a table the readers looked into
            yield from _unread(child, f"{path}.", read)  # (a value there is reported already)
        else:
            yield path, known


def clock_minutes(hhmm: str) -> int | None:
    parts = hhmm.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        return None
    h, m = int(parts[0]), int(parts[1])
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return h * 60 + m
