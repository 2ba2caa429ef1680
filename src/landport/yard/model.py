"""The yard's resources as plain data: gates, scan lanes, bays, sealing stations, parking zones.

The layout comes from `data/yard.json` (operator-editable, confidence-tagged estimates); the
loader reports every problem of a bad document at once, in English and Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any

from landport.seals.calendar import BEIJING
from landport.shared.errors import InvalidInput, Violation

Hours = tuple[tuple[time, time], ...]  # Beijing time; a close of time.max means midnight


class ZoneKind(StrEnum):
    GENERAL = "general"
    DANGEROUS_GOODS = "dangerous_goods"
    CAR_CARRIER = "car_carrier"


def open_at(hours: Hours, at: datetime) -> bool:
    """Whether `at` (timezone-aware) falls inside one of the Beijing-time intervals."""
    clock = at.astimezone(BEIJING).time()
    return any(opens <= clock < closes for opens, closes in hours)


@dataclass(frozen=True, slots=True)
class Gate:
    id: str
    direction: str  # "in" | "out"
    hours: Hours
    confidence: str = "estimate"
    name_en: str = ""  # what the sign at the gate says; the id when unnamed
    name_zh: str = ""


@dataclass(frozen=True, slots=True)
class ScanLane:
    """A non-intrusive inspection lane; service minutes bound how many trucks it images."""

    id: str
    kind: str  # "portal" | "drive_through"
    service_minutes: float
    hours: Hours
    confidence: str = "estimate"
    name_en: str = ""  # what the sign at the lane says; the id when unnamed
    name_zh: str = ""


@dataclass(frozen=True, slots=True)
class Station:
    """A physical examination bay or a sealing station."""

    id: str
    hours: Hours
    confidence: str = "estimate"
    name_en: str = ""  # what the sign at the station says; the id when unnamed
    name_zh: str = ""


@dataclass(frozen=True, slots=True)
class Slot:
    id: str  # e.g. "DG-07"
    zone_id: str
    number: int
    exit_distance_m: float  # walking the lane to the exit gate; the assignment order


@dataclass(frozen=True, slots=True)
class ParkingZone:
    id: str
    kind: ZoneKind
    slots: tuple[Slot, ...]  # nearest to the exit gate first
    hours: Hours
    confidence: str = "estimate"


@dataclass(frozen=True, slots=True)
class CargoRule:
    hs_prefix: str
    un_number: str = ""
    name_en: str = ""


@dataclass(frozen=True, slots=True)
class CargoRules:
    """Which HS codes make a truck dangerous goods, which travel on car carriers."""

    dangerous_goods: tuple[CargoRule, ...] = (
        CargoRule("850760", "UN3480", "lithium-ion batteries"),
        CargoRule("850650", "UN3090", "primary lithium batteries"),
    )
    car_carrier: tuple[CargoRule, ...] = (
        CargoRule("870380", "", "new-energy vehicles (battery electric)"),
    )


@dataclass(frozen=True, slots=True)
class DepartureRules:
    """Drivers rest at night: departures only between `earliest` and `latest` (Beijing).
    `exit_every_minutes`: how often the exit gate lets a truck out (its gate-out takes a
    few minutes): planned departures are spaced by it, never a whole port's trucks at once."""

    earliest: time = time(6, 0)
    latest: time = time(12, 0)
    daily_truck_capacity: Mapping[str, int] = field(default_factory=dict)
    exit_every_minutes: float = 1.0


@dataclass(frozen=True, slots=True)
class YardLayout:
    yard_id: str
    gates: tuple[Gate, ...]
    scan_lanes: tuple[ScanLane, ...]
    exam_bays: tuple[Station, ...]
    sealing_stations: tuple[Station, ...]
    zones: tuple[ParkingZone, ...]
    car_carrier_overflow_to_general: bool = True
    cargo_rules: CargoRules = field(default_factory=CargoRules)
    departures: DepartureRules = field(default_factory=DepartureRules)
    confidence: str = "estimate"

    def zones_of(self, kind: ZoneKind) -> tuple[ParkingZone, ...]:
        return tuple(z for z in self.zones if z.kind == kind)

    def slot(self, slot_id: str) -> Slot | None:
        return next((s for z in self.zones for s in z.slots if s.id == slot_id), None)

    def zone(self, zone_id: str) -> ParkingZone | None:
        return next((z for z in self.zones if z.id == zone_id), None)

    def station(self, station_id: str) -> ScanLane | Station | None:
        """The scan lane or examination bay a truck is sent to, by its id."""
        found: ScanLane | Station | None = next(
            (s for s in self.scan_lanes if s.id == station_id), None
        )
        return found or next((b for b in self.exam_bays if b.id == station_id), None)

    def sign(self, resource_id: str) -> tuple[str, str]:
        """(English, Chinese) on the sign of the gate, scan lane, bay or sealing station of
        this id, as people read it: `display_name`, the id where the layout has none."""
        every: tuple[Gate | ScanLane | Station, ...] = (
            *self.gates,
            *self.scan_lanes,
            *self.exam_bays,
            *self.sealing_stations,
        )
        found = next((r for r in every if r.id == resource_id), None)
        if found is None:
            return resource_id, resource_id
        return display_name(found, "en"), display_name(found, "zh-CN")


#: The longest display name of a gate, lane or station (it fits a console card and a phone).
NAME_MAX = 40


def display_name(resource: Gate | ScanLane | Station, lang: str) -> str:
    """The resource's name in `lang` ("zh-CN" or "en"), else in the other, else its id."""
    first, second = (
        (resource.name_zh, resource.name_en)
        if lang == "zh-CN"
        else (resource.name_en, resource.name_zh)
    )
    return first or second or resource.id


class _Reader:
    """Collects violations while reading a document, so all of them are reported at once."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def fail(self, path: str, code: str, en: str, zh: str) -> None:
        self.violations.append(Violation(path, code, en, zh))

    def text(self, item: Mapping[str, Any], key: str, path: str) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{path}.{key}", "required", f"{key} is required", f"{key} 为必填项")
            return ""
        return value

    def number(self, item: Mapping[str, Any], key: str, path: str, *, minimum: float) -> float:
        value = item.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            self.fail(
                f"{path}.{key}",
                "out_of_range",
                f"{key} must be a number of at least {minimum:g}",
                f"{key} 必须是不小于 {minimum:g} 的数字",
            )
            return minimum
        return float(value)

    def names(self, item: Mapping[str, Any], path: str) -> tuple[str, str]:
        """The optional `name_en` and `name_zh` a driver reads on the sign."""
        found: list[str] = []
        for key in ("name_en", "name_zh"):
            value = item.get(key, "")
            if (
                not isinstance(value, str)
                or len(value.strip()) > NAME_MAX
                or (key in item and not value.strip())
                or not value.isprintable()  # a line break or a control character
            ):
                self.fail(
                    f"{path}.{key}",
                    "bad_name",
                    f"{key} must be a text of 1 to {NAME_MAX} characters on one line",
                    f"{key} 须为 1 至 {NAME_MAX} 个字符的单行文字",
                )
                value = ""
            found.append(value.strip())
        return found[0], found[1]

    def choice(self, item: Mapping[str, Any], key: str, path: str, allowed: Sequence[str]) -> str:
        value = item.get(key)
        if value not in allowed:
            self.fail(
                f"{path}.{key}",
                "unknown_value",
                f"{key} must be one of {', '.join(allowed)}",
                f"{key} 必须是 {'、'.join(allowed)} 之一",
            )
            return allowed[0]
        return str(value)

    def clock(self, value: Any, path: str) -> time | None:
        if value == "24:00":
            return time.max
        try:
            return time.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def hours(self, item: Mapping[str, Any], path: str) -> Hours:
        raw = item.get("hours")
        if not isinstance(raw, list) or not raw:
            self.fail(f"{path}.hours", "required", "hours are required", "开放时间为必填项")
            return ()
        result: list[tuple[time, time]] = []
        for i, pair in enumerate(raw):
            where = f"{path}.hours[{i}]"
            if not isinstance(pair, list) or len(pair) != 2:
                self.fail(
                    where,
                    "bad_hours",
                    'hours are ["HH:MM", "HH:MM"] pairs',
                    '开放时间应为 ["HH:MM", "HH:MM"] 时间对',
                )
                continue
            opens, closes = self.clock(pair[0], where), self.clock(pair[1], where)
            if opens is None or closes is None or opens >= closes:
                self.fail(
                    where,
                    "bad_hours",
                    "opening must be a valid time before closing",
                    "开放时间须为有效时间且早于关闭时间",
                )
                continue
            result.append((opens, closes))
        return tuple(sorted(result))

    def items(self, doc: Mapping[str, Any], key: str, *, required: bool) -> list[Mapping[str, Any]]:
        raw = doc.get(key, [])
        if not isinstance(raw, list) or (required and not raw):
            self.fail(key, "required", f"{key} must be a non-empty list", f"{key} 必须是非空列表")
            return []
        return [x if isinstance(x, Mapping) else {} for x in raw]


def _unique_ids(reader: _Reader, doc: Mapping[str, Any]) -> None:
    seen: set[str] = set()
    for key in ("gates", "scan_lanes", "exam_bays", "sealing_stations", "parking_zones"):
        raw = doc.get(key, [])
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            rid = item.get("id") if isinstance(item, Mapping) else None
            if isinstance(rid, str) and rid in seen:
                reader.fail(
                    f"{key}[{i}].id",
                    "duplicate",
                    f"resource id {rid} is used twice",
                    f"资源编号 {rid} 重复",
                )
            if isinstance(rid, str):
                seen.add(rid)


def _unique_names(reader: _Reader, doc: Mapping[str, Any]) -> None:
    """Two signs saying the same would send a driver to the wrong lane."""
    seen: set[tuple[str, str]] = set()
    for key in ("gates", "scan_lanes", "exam_bays", "sealing_stations"):
        raw = doc.get(key, [])
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            for lang in ("name_en", "name_zh"):
                name = item.get(lang) if isinstance(item, Mapping) else None
                if not isinstance(name, str) or not name.strip():
                    continue
                said = (lang, name.strip().casefold())
                if said in seen:
                    reader.fail(
                        f"{key}[{i}].{lang}",
                        "duplicate_name",
                        f"the name {name.strip()} is on another sign already",
                        f"名称 {name.strip()} 已用于另一处",
                    )
                seen.add(said)


def _zone(reader: _Reader, item: Mapping[str, Any], path: str) -> ParkingZone:
    zid = reader.text(item, "id", path)
    kind = ZoneKind(reader.choice(item, "kind", path, [k.value for k in ZoneKind]))
    prefix = reader.text(item, "slot_prefix", path)
    count = int(reader.number(item, "slots", path, minimum=1))
    start = reader.number(item, "exit_distance_m", path, minimum=0)
    spacing = reader.number(item, "slot_spacing_m", path, minimum=0)
    width = max(2, len(str(count)))
    slots = tuple(
        Slot(f"{prefix}-{n:0{width}d}", zid, n, start + (n - 1) * spacing)
        for n in range(1, count + 1)
    )
    return ParkingZone(zid, kind, slots, reader.hours(item, path), str(item.get("confidence", "")))


def _cargo_rules(raw: Any) -> CargoRules:
    if not isinstance(raw, Mapping):
        return CargoRules()

    def rules(key: str) -> tuple[CargoRule, ...]:
        return tuple(
            CargoRule(str(r["hs_prefix"]), str(r.get("un_number", "")), str(r.get("name_en", "")))
            for r in raw.get(key, [])
            if isinstance(r, Mapping) and r.get("hs_prefix")
        )

    return CargoRules(rules("dangerous_goods"), rules("car_carrier"))


def _departure_rules(reader: _Reader, raw: Any) -> DepartureRules:
    if not isinstance(raw, Mapping):
        return DepartureRules()
    earliest = reader.clock(raw.get("earliest", "06:00"), "departures.earliest")
    latest = reader.clock(raw.get("latest", "12:00"), "departures.latest")
    if earliest is None or latest is None or earliest >= latest:
        reader.fail(
            "departures",
            "bad_hours",
            "earliest departure must come before the latest",
            "最早发车时间须早于最晚发车时间",
        )
        earliest, latest = time(6, 0), time(12, 0)
    capacity: dict[str, int] = {}
    for port, value in dict(raw.get("daily_truck_capacity", {})).items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            reader.fail(
                f"departures.daily_truck_capacity.{port}",
                "out_of_range",
                "daily capacity must be a whole number of at least 1",
                "每日通行能力必须是不小于 1 的整数",
            )
            continue
        capacity[str(port)] = value
    every = raw.get("exit_every_minutes", 1.0)
    if isinstance(every, bool) or not isinstance(every, int | float) or not 0.5 <= every <= 60:
        reader.fail(
            "departures.exit_every_minutes",
            "out_of_range",
            "minutes between two departures must be from 0.5 to 60",
            "两次发车的间隔分钟数须在 0.5 至 60 之间",
        )
        every = 1.0
    return DepartureRules(earliest, latest, capacity, float(every))


def yard_from_document(doc: Mapping[str, Any]) -> YardLayout:
    """Build the layout from yard.json; raise `InvalidInput` listing every problem."""
    r = _Reader()
    _unique_ids(r, doc)
    _unique_names(r, doc)
    gates = tuple(
        Gate(
            r.text(g, "id", p),
            r.choice(g, "direction", p, ["in", "out"]),
            r.hours(g, p),
            str(g.get("confidence", "")),
            *r.names(g, p),
        )
        for i, g in enumerate(r.items(doc, "gates", required=True))
        for p in [f"gates[{i}]"]
    )
    if gates and not any(g.direction == "out" for g in gates):
        r.fail(
            "gates",
            "no_exit_gate",
            "the yard needs at least one exit gate",
            "堆场至少需要一个出口闸门",
        )
    if gates and not any(g.direction == "in" for g in gates):
        r.fail(
            "gates",
            "no_entry_gate",
            "the yard needs at least one entry gate",
            "堆场至少需要一个入口闸门",
        )
    lanes = tuple(
        ScanLane(
            r.text(s, "id", p),
            r.choice(s, "kind", p, ["portal", "drive_through"]),
            r.number(s, "service_minutes", p, minimum=0.5),
            r.hours(s, p),
            str(s.get("confidence", "")),
            *r.names(s, p),
        )
        for i, s in enumerate(r.items(doc, "scan_lanes", required=False))
        for p in [f"scan_lanes[{i}]"]
    )
    bays, stations = (
        tuple(
            Station(r.text(s, "id", p), r.hours(s, p), str(s.get("confidence", "")), *r.names(s, p))
            for i, s in enumerate(r.items(doc, key, required=False))
            for p in [f"{key}[{i}]"]
        )
        for key in ("exam_bays", "sealing_stations")
    )
    zones = tuple(
        _zone(r, z, f"parking_zones[{i}]")
        for i, z in enumerate(r.items(doc, "parking_zones", required=True))
    )
    if zones and not any(z.kind == ZoneKind.GENERAL for z in zones):
        r.fail(
            "parking_zones",
            "no_general_zone",
            "the yard needs a general parking zone",
            "堆场需要一个普通停车区",
        )
    rules = doc.get("parking_rules", {})
    overflow = (
        rules.get("car_carrier_overflow_to_general", True) if isinstance(rules, Mapping) else True
    )
    departures = _departure_rules(r, doc.get("departures"))
    if any(v.severity == "error" for v in r.violations):
        raise InvalidInput(r.violations)
    return YardLayout(
        yard_id=str(doc.get("yard_id", "")),
        gates=gates,
        scan_lanes=lanes,
        exam_bays=bays,
        sealing_stations=stations,
        zones=zones,
        car_carrier_overflow_to_general=bool(overflow),
        cargo_rules=_cargo_rules(doc.get("cargo_rules")),
        departures=departures,
        confidence=str(doc.get("confidence", "estimate")),
    )
