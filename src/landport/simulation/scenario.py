"""Scenarios of the digital twin: what arrives, what the yard has, what goes wrong.

A scenario is a TOML file (`data/scenarios/shigatse.toml` is the default, calibrated to the
seed port; every field is described in docs/simulation.md). `parse_scenario` checks every
field at once and raises `InvalidInput` naming each bad field and the rule it breaks, in
English and Chinese, so an operator editing a file learns all mistakes in one run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from landport.adapters.risk_files import default_ruleset
from landport.risk.validation import validate_ruleset
from landport.shared.errors import InvalidInput, Violation
from landport.simulation.scenario_fields import (
    FieldReader,
    Hours,
    clock_minutes,
    route_of_port,
    whole_number_problem,
)
from landport.simulation.scenario_fields import violation as _v
from landport.simulation.scenario_files import (
    default_scenario_path,
    locate,
    read_text,
    toml_document,
    with_base,
)
from landport.simulation.scenario_lists import (
    INCIDENT_KINDS,
    BorderClosure,
    DeadZone,
    IncidentRate,
    ScenarioReader,
)

CARGO_KINDS = (
    "furniture",
    "garments",
    "appliances",
    "carpets",
    "nev",
    "lithium_ion",
    "pv",
    "primary_lithium",
)
PROVINCES = ("zhejiang", "shandong", "guangdong", "henan", "tibet")
BORDER_PORTS = ("gyirong-port", "zhangmu-port", "lizi-port")
SERVICES = ("gate_check", "document_check", "scan", "examination", "sealing", "border_check")
#: Numeric yard resources a sweep may vary (`--sweep scan_lanes=1..4`).
YARD_RESOURCES = (
    "gates_in",
    "scan_lanes",
    "exam_bays",
    "sealing_stations",
    "document_officers",
    "parking",
)
#: `border_capacity` is the daily total over the border ports, split as the scenario splits it.
SWEEPABLE = (*YARD_RESOURCES, "trucks_per_day", "border_capacity")
#: The largest count of each kind a run accepts, in a file or a sweep: ten times a large
#: port, yet a bound, so that a typo of three zeros is refused instead of exhausting memory.
MOST: dict[str, int] = {
    "trucks_per_day": 5_000,
    "gates_in": 100,
    "scan_lanes": 100,
    "exam_bays": 100,
    "sealing_stations": 100,
    "document_officers": 100,
    "parking": 20_000,
    "border_capacity": 30_000,
    "slot_minutes": 240,
    "officers": 100,
}


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    start: date
    trucks_per_day: int
    by_hour: dict[int, float]
    by_province: dict[str, float]
    declaration_lead_minutes: tuple[float, float]
    cargo_mix: dict[str, float]
    new_exporter_share: float  # trucks of an enterprise shipping here for the first time
    appointment_share: float
    no_show_rate: float
    slot_minutes: int
    gates_in: int
    scan_lanes: int
    exam_bays: int
    sealing_stations: int
    document_officers: int
    parking: int
    lane_hours: Hours
    gate_hours: Hours
    departure_window: tuple[str, str]
    service_minutes: dict[str, tuple[float, float, float]]
    suspicious_scan_rate: float
    border_capacity: dict[str, int]
    border_share: dict[str, float]
    border_officers: int
    fix_interval_s: float
    parked_interval_s: float
    batch_s: float
    speed_kmh: tuple[float, float]
    driving_hours: tuple[str, str] = ("00:00", "24:00")  # trucks sleep at rest stops after
    dead_zones: tuple[DeadZone, ...] = ()
    incidents: tuple[IncidentRate, ...] = ()
    monitoring_officers: int = 2
    acknowledge_minutes: tuple[float, float, float] = (1.0, 3.0, 6.0)
    resolve_minutes: tuple[float, float, float] = (10.0, 20.0, 40.0)
    closures: tuple[BorderClosure, ...] = ()
    # The published ruleset's random selection, when the scenario changes it: the floor and
    # ceiling of the random red rate, and the floor of the random yellow rate.
    random_red_rate: tuple[float, float] | None = None
    random_yellow_rate: float | None = None
    refused_share: float = 0.0  # physical examinations that find goods not as declared
    source: str = field(default="", compare=False)

    def with_values(self, **changes: Any) -> Scenario:
        """A variant for a sweep; the values are checked like a file's."""
        bad = [k for k in changes if k not in SWEEPABLE]
        if bad:
            raise InvalidInput([_sweep_violation(k) for k in bad])
        found = [
            problem
            for key, value in changes.items()
            if (problem := whole_number_problem(key, value, 1, MOST[key])) is not None
        ]
        if found:
            raise InvalidInput(found)
        total = changes.pop("border_capacity", None)
        if total is not None:
            changes["border_capacity"] = split_capacity(total, self.border_capacity)
        return replace(self, **changes)


def split_capacity(total: int, capacity: dict[str, int]) -> dict[str, int]:
    """`total` trucks a day over the open ports, in the proportions of `capacity`: each open
    port keeps at least one, and the parts add up to `total` exactly (largest remainders), so
    a sweep's row runs the capacity it reports."""
    ports = list(capacity)
    if total < len(ports):
        raise InvalidInput(
            [
                _v(
                    "border_capacity",
                    "out_of_range",
                    f"must be at least {len(ports)}: each open border port takes at least one "
                    "truck a day",
                    f"须不小于 {len(ports)}：每个开放口岸每天至少通行一辆车",
                )
            ]
        )
    weight = sum(capacity.values())  # open ports only: each has a capacity of one or more
    exact = {port: total * capacity[port] / weight for port in ports}
    parts = {port: int(exact[port]) for port in ports}
    left = total - sum(parts.values())
    for port in sorted(ports, key=lambda p: parts[p] - exact[p])[:left]:  # stable: file order
        parts[port] += 1
    for port in ports:  # a port rounded down to nothing borrows from the largest
        if parts[port] == 0:
            parts[max(ports, key=lambda p: parts[p])] -= 1
            parts[port] = 1
    return parts


def _sweep_violation(key: str) -> Violation:
    allowed = ", ".join(SWEEPABLE)
    return _v(
        key,
        "not_sweepable",
        f"'{key}' cannot be swept; use one of {allowed}",
        f"不能扫描参数「{key}」，可用：{allowed}",
    )


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read a scenario file (the default one without a path); a name resolves to a shipped one."""
    chosen = default_scenario_path() if path is None else locate(path, Path("."))
    return parse_scenario(read_text(chosen), source=chosen.name, origin=chosen)


def parse_scenario(text: str, *, source: str = "<text>", origin: Path | None = None) -> Scenario:
    """A scenario from TOML text; `origin` is its file, beside which a `base` is looked for."""
    chain = () if origin is None else (origin.resolve(),)
    doc = with_base(toml_document(text), Path(".") if origin is None else origin.parent, chain)
    r = ScenarioReader(_with_officer_defaults(doc))

    def yard(resource: str) -> int:
        return r.integer(f"yard.{resource}", low=1, high=MOST[resource])

    # optional: without them the shipped ruleset's random selection stands
    red = r.pair("risk.random_red_rate", high=1.0) if r.has("risk.random_red_rate") else None
    yellow = r.share("risk.random_yellow_rate") if r.has("risk.random_yellow_rate") else None

    scenario = Scenario(
        name=r.text("scenario.name"),
        description=r.text("scenario.description", default=""),
        start=r.day("scenario.start"),
        trucks_per_day=r.integer("arrivals.trucks_per_day", low=1, high=MOST["trucks_per_day"]),
        by_hour={int(h): w for h, w in r.shares("arrivals.by_hour", _HOURS).items()},
        by_province=r.shares("arrivals.by_province", PROVINCES),
        declaration_lead_minutes=r.pair("arrivals.declaration_lead_minutes"),
        cargo_mix=r.shares("cargo.mix", CARGO_KINDS),
        new_exporter_share=r.share("cargo.new_exporter_share", default=0.0),
        appointment_share=r.share("appointments.share"),
        no_show_rate=r.share("appointments.no_show_rate", high=0.9),
        slot_minutes=r.integer("appointments.slot_minutes", low=5, high=MOST["slot_minutes"]),
        gates_in=yard("gates_in"),
        scan_lanes=yard("scan_lanes"),
        exam_bays=yard("exam_bays"),
        sealing_stations=yard("sealing_stations"),
        document_officers=yard("document_officers"),
        parking=yard("parking"),
        lane_hours=r.hours("yard.lane_hours"),
        gate_hours=r.hours("yard.gate_hours"),
        departure_window=r.hours("yard.departure_window", single=True)[0],
        service_minutes={s: r.triangle(f"service_minutes.{s}") for s in SERVICES},
        suspicious_scan_rate=r.share("risk.suspicious_scan_rate"),
        random_red_rate=red,
        random_yellow_rate=yellow,
        refused_share=r.share("risk.refused_share", default=0.0),
        border_capacity={  # a closed port (0) is left out of the yard's layout
            p: int(v)
            for p, v in r.shares("border.capacity", BORDER_PORTS, whole=True).items()
            if v > 0
        },
        border_share=r.shares("border.share", BORDER_PORTS),
        border_officers=r.integer("border.officers", low=1, high=MOST["officers"]),
        fix_interval_s=r.number("telemetry.fix_interval_s", low=5.0, high=600.0),
        parked_interval_s=r.number("telemetry.parked_interval_s", low=5.0, high=1200.0),
        batch_s=r.number("telemetry.batch_s", low=1.0, high=1200.0),
        speed_kmh=r.pair("telemetry.speed_kmh", low=5.0),
        driving_hours=_driving_day(r),
        dead_zones=r.dead_zones("telemetry.dead_zones"),
        incidents=r.incidents("incidents"),
        closures=r.closures("border.closures", BORDER_PORTS),
        monitoring_officers=r.integer("officers.monitoring", low=1, high=MOST["officers"]),
        acknowledge_minutes=r.triangle("officers.acknowledge_minutes"),
        resolve_minutes=r.triangle("officers.resolve_minutes"),
        source=source,
    )
    r.unknown_fields()
    _check_border(r, scenario)
    _check_driving_day(r, scenario)
    _check_random_selection(r, scenario)
    if r.found:
        raise InvalidInput(r.found)
    return scenario


def _check_border(r: FieldReader, scenario: Scenario) -> None:
    """Every port that takes a share of the trucks needs a daily capacity of at least one."""
    reported = {v.field for v in r.found}
    for port, share in scenario.border_share.items():
        where = f"border.capacity.{port}"
        unknown = "border.capacity" in reported or where in reported
        if share > 0 and port not in scenario.border_capacity and not unknown:
            r.found.append(
                _v(
                    where,
                    "required",
                    f"must be at least 1: {port} takes a share of the trucks (a closed port "
                    "has share 0)",
                    f"须不小于 1：{port} 分得部分车辆（关闭的口岸份额为 0）",
                )
            )
    for port, capacity in scenario.border_capacity.items():
        if capacity > MOST["border_capacity"]:
            r.found.append(
                _v(
                    f"border.capacity.{port}",
                    "out_of_range",
                    f"must be at most {MOST['border_capacity']}",
                    f"须不大于 {MOST['border_capacity']}",
                )
            )


#: A driving day shorter than this would keep trucks on the road longer than the run follows.
SHORTEST_DRIVING_DAY_H = 6


def _driving_day(r: FieldReader) -> tuple[str, str]:
    """One span of the day (unsaid: all day, trucks drive on until the border)."""
    if not r.has("telemetry.driving_hours"):
        return ("00:00", "24:00")
    spans = r.hours("telemetry.driving_hours", single=True)
    if len(spans) > 1:
        r.found.append(
            _v(
                "telemetry.driving_hours",
                "one_span",
                'must be one span ["HH:MM", "HH:MM"]: trucks drive from morning to evening',
                '须为一个时段 ["HH:MM", "HH:MM"]：货车从早到晚行驶',
            )
        )
    return spans[0]


def _check_driving_day(r: FieldReader, scenario: Scenario) -> None:
    start, end = (clock_minutes(t) or 0 for t in scenario.driving_hours)
    if end - start < SHORTEST_DRIVING_DAY_H * 60:
        r.found.append(
            _v(
                "telemetry.driving_hours",
                "too_short",
                f"must span at least {SHORTEST_DRIVING_DAY_H} hours (trucks drive by day and "
                "sleep at rest stops)",
                f"须至少 {SHORTEST_DRIVING_DAY_H} 小时（货车白天行驶，夜间在休息点停歇）",
            )
        )


def scenario_ruleset(scenario: Scenario) -> dict[str, Any] | None:
    """The shipped rules with the scenario's random selection, or None when it keeps the
    shipped one: what the port administrator publishes before the first truck."""
    red, yellow = scenario.random_red_rate, scenario.random_yellow_rate
    if red is None and yellow is None:
        return None
    document = default_ruleset()
    selection = dict(document["random_selection"])
    if red is not None:
        selection["min_random_red_rate"], selection["max_random_red_rate"] = red
    if yellow is not None:
        selection["min_random_yellow_rate"] = yellow
    return {**document, "random_selection": selection}


def _check_random_selection(r: FieldReader, scenario: Scenario) -> None:
    """The ruleset the run would publish, checked by the ruleset's own validator now, so that
    a rate it refuses is named as the scenario's field before the run."""
    document = scenario_ruleset(scenario)
    if document is None:
        return
    _, problems = validate_ruleset(document)
    where = "risk.random_red_rate" if scenario.random_red_rate else "risk.random_yellow_rate"
    for v in problems:
        if v.severity == "error" and v.field.startswith("random_selection"):
            r.found.append(replace(v, field=where, message_en=f"{where}: {v.message_en}",
                                   message_zh=f"{where}：{v.message_zh}"))  # fmt: skip


#: A scenario without an `[officers]` table (or some of its keys) gets these.
OFFICER_DEFAULTS: dict[str, Any] = {
    "monitoring": 2,
    "acknowledge_minutes": [1.0, 3.0, 6.0],
    "resolve_minutes": [10.0, 20.0, 40.0],
}


def _with_officer_defaults(doc: dict[str, Any]) -> dict[str, Any]:
    """Older scenario files keep working: missing officer fields take their defaults."""
    officers = doc.get("officers", {})
    if not isinstance(officers, dict):
        return doc  # reported as a bad field by the reader
    return {**doc, "officers": {**OFFICER_DEFAULTS, **officers}}


_HOURS = tuple(f"{h:02d}" for h in range(24))


def minutes_of_day(hhmm: str) -> int:
    value = clock_minutes(hhmm)
    if value is None:
        raise ValueError(f"not a time of day: {hhmm}")
    return value


def seconds_until_open(minute: float, hours: Hours, need_s: float = 0.0) -> float:
    """Seconds from `minute` (of the local day) until the hours admit a service of `need_s`
    starting then: the twin's stations and the bare model wait alike."""
    for day in range(3):
        for a, b in hours:
            lo, hi = minutes_of_day(a) + day * 1440, minutes_of_day(b) + day * 1440
            start = max(lo, minute)
            if start + need_s / 60.0 <= hi:
                return (start - minute) * 60.0
    return 0.0


__all__ = [
    "BORDER_PORTS",
    "CARGO_KINDS",
    "INCIDENT_KINDS",
    "PROVINCES",
    "SWEEPABLE",
    "BorderClosure",
    "DeadZone",
    "IncidentRate",
    "Scenario",
    "default_scenario_path",
    "load_scenario",
    "minutes_of_day",
    "parse_scenario",
    "route_of_port",
    "seconds_until_open",
]


def scenario_yard(scenario: Scenario) -> dict[str, Any]:
    """The packaged yard layout with the scenario's lanes, bays, sealing stations, parking
    slots and border capacities, for the platform's own dispatch, parking and planning."""
    doc: dict[str, Any] = json.loads(
        (resources.files("landport") / "data" / "yard.json").read_text(encoding="utf-8")
    )

    def stations(key: str, count: int, prefix: str, names: tuple[str, str]) -> None:
        known = doc[key]
        doc[key] = [
            known[i]
            if i < len(known)
            else {
                **known[i % len(known)],
                "id": f"{prefix}-{i + 1}",
                "name_en": names[0].format(n=i + 1),
                "name_zh": names[1].format(n=i + 1),
            }
            for i in range(count)
        ]

    stations("scan_lanes", scenario.scan_lanes, "nii-lane", ("Scan Lane {n}", "{n}号机检通道"))
    stations(
        "exam_bays", scenario.exam_bays, "exam-bay", ("Examination Bay {n}", "{n}号人工查验台")
    )
    stations(
        "sealing_stations",
        scenario.sealing_stations,
        "seal-station",
        ("Sealing Station {n}", "{n}号施封点"),
    )
    zones = doc["parking_zones"]
    total = sum(z["slots"] for z in zones)
    for z in zones:
        z["slots"] = max(1, round(z["slots"] * scenario.parking / total))
    doc["departures"]["daily_truck_capacity"] = dict(scenario.border_capacity)
    return doc
