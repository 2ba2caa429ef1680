"""Reading a scenario's lists of tables: dead zones, injected incidents, border closures;
each entry's unknown keys, missing fields and values named by their path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from landport.adapters.reference_files import packaged_routes
from landport.simulation.scenario_fields import (
    FieldReader,
    finite_number,
    violation,
    whole_number_problem,
)


@cache
def route_km() -> Mapping[str, float]:
    """Each corridor's road length: a dead zone or an incident must lie on the road."""
    return MappingProxyType({leg.route_id: leg.road_km for leg in packaged_routes().values()})


INCIDENT_KINDS = ("route_deviation", "long_stop", "seal_opened", "tamper", "battery_failure")


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


#: Expected incidents of one kind a day: a stress test, not every truck of a busy day.
MAX_INCIDENTS_PER_DAY = 100


class ScenarioReader(FieldReader):
    """The field reader with the scenario's lists."""

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
