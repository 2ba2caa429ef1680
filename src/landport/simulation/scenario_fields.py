"""Reading a scenario's fields: every violation collected, each naming its field path."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
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


def finite_number(value: object) -> TypeGuard[float]:
    """An int or float that is a real quantity: TOML also reads `nan` and `inf`, which every
    comparison of a range check would let through."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


Hours = tuple[tuple[str, str], ...]


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
