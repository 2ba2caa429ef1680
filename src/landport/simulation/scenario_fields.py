"""Reading a scenario's fields: every violation collected, each naming its field path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import Any

from landport.adapters.reference_files import packaged_routes
from landport.shared.errors import Violation


@cache
def route_of_port() -> Mapping[str, str]:
    """Each border port's corridor from the yard, as the packaged routes file lists them."""
    return MappingProxyType({port: leg.route_id for port, leg in packaged_routes().items()})


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


def violation(path: str, code: str, en: str, zh: str) -> Violation:
    return Violation(path, code, f"{path}: {en}", f"{path}：{zh}")


class FieldReader:
    """Collects every violation instead of stopping at the first."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.found: list[Violation] = []

    def _get(self, path: str, default: Any = ...) -> Any:
        node: Any = self.doc
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is not ...:
                    return default
                self.found.append(violation(path, "required", "is required", "为必填项"))
                return None
            node = node[part]
        return node

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
        if isinstance(value, date):
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
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.found.append(violation(path, "not_a_number", "must be a number", "须为数字"))
            return low
        if value < low or (high is not None and value > high):
            limit = f"between {low:g} and {high:g}" if high is not None else f">= {low:g}"
            zh = f"{low:g} 至 {high:g} 之间" if high is not None else f"不小于 {low:g}"
            self.found.append(violation(path, "out_of_range", f"must be {limit}", f"须在{zh}"))
            return low
        return float(value)

    def integer(self, path: str, *, low: int) -> int:
        value = self._get(path)
        if value is None:
            return low
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.found.append(
                violation(
                    path,
                    "not_positive_int",
                    f"must be an integer >= {low}",
                    f"须为不小于 {low} 的整数",
                )
            )
            return low
        return value

    def share(self, path: str, *, high: float = 1.0, default: float | None = None) -> float:
        return self.number(path, low=0.0, high=high, default=default)

    def pair(self, path: str, *, low: float = 0.0) -> tuple[float, float]:
        value = self._get(path)
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
            and low <= value[0] <= value[1]
        )
        if value is not None and not ok:
            self.found.append(
                violation(
                    path,
                    "not_a_range",
                    f"must be [low, high] with {low:g} <= low <= high",
                    f"须为 [下限, 上限]，且 {low:g} ≤ 下限 ≤ 上限",
                )
            )
        return (float(value[0]), float(value[1])) if ok else (low, low)

    def triangle(self, path: str) -> tuple[float, float, float]:
        value = self._get(path)
        ok = (
            isinstance(value, list)
            and len(value) == 3
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
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
        self, path: str, allowed: tuple[str, ...], *, whole: bool = False
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
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or weight < 0
                or (whole and not isinstance(weight, int))
            ):
                kind = "a whole number >= 0" if whole else "a number >= 0"
                self.found.append(violation(where, "bad_weight", f"must be {kind}", "须为非负数"))
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
        for i, z in enumerate(value if isinstance(value, list) else [None]):
            where = f"{path}[{i}]"
            if (
                not isinstance(z, Mapping)
                or z.get("route") not in route_of_port().values()
                or not isinstance(z.get("at_km"), int | float)
                or not isinstance(z.get("length_km"), int | float)
                or z["at_km"] < 0
                or not 0 < z["length_km"] <= 20
            ):
                routes = ", ".join(route_of_port().values())
                self.found.append(
                    violation(
                        where,
                        "bad_dead_zone",
                        "needs route (one of "
                        f"{routes}), at_km >= 0 and 0 < length_km <= 20 (a longer silence is an "
                        "alert by design)",
                        f"须有 route（{routes}）、at_km ≥ 0、0 < length_km ≤ 20",
                    )
                )
                continue
            zones.append(DeadZone(z["route"], float(z["at_km"]), float(z["length_km"])))
        return tuple(zones)

    def incidents(self, path: str) -> tuple[IncidentRate, ...]:
        value = self._get(path, default=[])
        out = []
        for i, item in enumerate(value if isinstance(value, list) else [None]):
            where = f"{path}[{i}]"
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
            if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 0:
                self.found.append(
                    violation(f"{where}.per_day", "bad_rate", "must be a number >= 0", "须为非负数")
                )
                continue
            out.append(IncidentRate(item["kind"], float(rate)))
        return tuple(out)


def clock_minutes(hhmm: str) -> int | None:
    parts = hhmm.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        return None
    h, m = int(parts[0]), int(parts[1])
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return h * 60 + m
