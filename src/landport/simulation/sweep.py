"""Capacity sweeps: run the twin once per combination of yard resources and compare.

`parse_sweeps(["scan_lanes=1..4", "parking=100,200"])` gives the axes; `sweep(...)` builds
every combination's scenario and hands them to a runner, which runs them with one seed (so
configurations differ only in what was changed), one after another or side by side
(`landport.simulation.parallel`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from landport.shared.errors import InvalidInput, Violation
from landport.simulation.scenario import MOST, SWEEPABLE, Scenario

Axis = tuple[str, tuple[int, ...]]
#: Values of one swept field, and configurations of one sweep: each is a whole twin run.
MOST_VALUES = 50
MOST_CONFIGURATIONS = 200


def _bad(spec: str, en: str, zh: str) -> Violation:
    return Violation("--sweep", "bad_sweep", f"--sweep {spec}: {en}", f"--sweep {spec}：{zh}")


_WHOLE = re.compile(r"[0-9]+")
_RULE = (
    "values must be 1 to 50 distinct whole numbers >= 1, as 1..4 or 100,200",
    "取值须为 1 至 50 个互不相同的正整数，如 1..4 或 100,200",
)


def _values(text: str) -> tuple[tuple[int, ...], tuple[str, str] | None]:
    """The swept values, or the rule they break (English, Chinese). Only ASCII digits: Python's
    int() would also take 1_0 and other scripts' digits, which no one means here."""
    if ".." in text:
        ends = [end.strip() for end in text.split("..")]
        if len(ends) != 2 or not all(_WHOLE.fullmatch(end) for end in ends):
            return (), _RULE
        lo, hi = int(ends[0]), int(ends[1])
        if lo > hi:
            return (), (
                f"the range {lo}..{hi} runs backwards: write the low end first",
                f"范围 {lo}..{hi} 顺序颠倒：须先写较小值",
            )
        if hi - lo >= MOST_VALUES:  # counted before it is built: 1..1000000000 is refused
            return (), _RULE
        numbers = tuple(range(lo, hi + 1))
    else:
        items = [item.strip() for item in text.split(",")]
        if len(items) > MOST_VALUES or not all(_WHOLE.fullmatch(item) for item in items):
            return (), _RULE
        numbers = tuple(int(item) for item in items)
        repeated = sorted(n for n, times in Counter(numbers).items() if times > 1)
        if repeated:
            listed = ", ".join(map(str, repeated))
            return (), (
                f"{listed} given more than once: each value is a whole run",
                f"{listed} 重复：每个取值都是一次完整运行",
            )
    if 0 in numbers:  # as a scenario's own counts: a sweep value of 0 failed once run
        return (), _RULE
    return numbers, None


def parse_sweeps(specs: Sequence[str]) -> list[Axis]:
    """`name=1..4` (a range, both ends included) or `name=100,200` (a list)."""
    axes: list[Axis] = []
    found: list[Violation] = []
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip()
        if not sep or name not in SWEEPABLE:
            found.append(
                _bad(
                    spec,
                    f"write name=values with a name among {', '.join(SWEEPABLE)}",
                    f"格式为 名称=取值，名称须为 {', '.join(SWEEPABLE)} 之一",
                )
            )
            continue
        numbers, problem = _values(values)
        if problem is not None:
            found.append(_bad(spec, *problem))
            continue
        if any(a[0] == name for a in axes):
            found.append(_bad(spec, f"{name} is swept twice", f"{name} 重复"))
            continue
        if max(numbers) > MOST[name]:
            found.append(
                _bad(spec, f"{name} goes up to {MOST[name]}", f"{name} 不能超过 {MOST[name]}")
            )
            continue
        axes.append((name, numbers))
    configurations = math.prod(len(a[1]) for a in axes)
    if not found and configurations > MOST_CONFIGURATIONS:
        found.append(
            Violation(
                "--sweep",
                "too_many_configurations",
                f"--sweep: {configurations} configurations; at most {MOST_CONFIGURATIONS} "
                "in one sweep (narrow a range or sweep in steps)",
                f"--sweep：共 {configurations} 个配置，一次最多 {MOST_CONFIGURATIONS} 个"
                "（请缩小范围或分步扫描）",
            )
        )
    if found:
        raise InvalidInput(found)
    return axes


def combinations(axes: Sequence[Axis]) -> list[dict[str, int]]:
    names = [a[0] for a in axes]
    return [
        dict(zip(names, values, strict=True)) for values in itertools.product(*(a[1] for a in axes))
    ]


def sweep(
    base: Scenario,
    axes: Sequence[Axis],
    run_all: Callable[[list[Scenario]], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """One row per configuration: its values, then the figures capacity planning asks for.
    `run_all` runs the configurations' scenarios (one after another, or side by side) and
    gives their figures in the same order."""
    configurations = combinations(axes)
    results = run_all([base.with_values(**values) for values in configurations])
    return [
        {**values, **capacity_figures(result), **{k: result[k] for k in RUN_KEYS}}
        for values, result in zip(configurations, results, strict=True)
    ]


#: Figures of the run itself beside the capacity figures: they vary from run to run.
RUN_KEYS = ("sim_days_per_wall_s",)
CAPACITY_KEYS = (
    "trucks_handled",
    "trucks_handled_per_day",
    "trucks_shut_out",
    "inspected_trucks",
    "gate_wait_p90_min",
    "green_clearance_p50_min",
    "clearance_p50_min",
    "clearance_p90_min",
    "inspected_clearance_p90_min",
    "parking_wait_p90_min",
    "yard_total_p90_min",
    "scan_lane_utilisation",
    "parking_utilisation",
    "peak_scan_queue",
    "peak_parking",
    "parking_waited",
    "incidents_injected",
    "incidents_detected",
    "false_alerts",
)


def capacity_figures(result: dict[str, Any]) -> dict[str, Any]:
    """What capacity planning compares between configurations. `inspected_trucks` (yellow
    and red lanes) beside the inspected clearance: idle scan lanes raise the random red rate
    (`risk/capacity.py`), so more lanes may inspect more trucks, and wait longer at the bays.
    `parking_waited`: sealed trucks that found the lot or their zone full. The same seed gives
    the same figures, run in turn or side by side (no wall time among them)."""
    tr = result["time_release"]
    lanes = result["per_lane"]
    return {
        "trucks_handled": result["trucks_handled"],
        "trucks_handled_per_day": result["trucks_handled_per_day"],
        "trucks_shut_out": result["trucks_shut_out"],
        "released_at_border": result["released_at_border"],
        "trucks_not_across": result["trucks_not_across"],
        "inspected_trucks": lanes.get("yellow", 0) + lanes.get("red", 0),
        "gate_wait_p90_min": tr["gate_wait"]["p90_min"],
        "green_clearance_p50_min": result["green_clearance_p50_min"],
        "clearance_p50_min": tr["clearance"]["p50_min"],
        "clearance_p90_min": tr["clearance"]["p90_min"],
        "inspected_clearance_p90_min": tr["clearance_inspected"]["p90_min"],
        "parking_wait_p90_min": tr["parking_wait"]["p90_min"],
        "yard_total_p90_min": tr["yard_total"]["p90_min"],
        "scan_lane_utilisation": result["utilisation"]["scan_lane"],
        "parking_utilisation": result["utilisation"]["parking"],
        "peak_scan_queue": result["peak_queue"]["scan_lane"],
        "peak_parking": result["parking"]["peak_in_use"],
        "parking_waited": result["parking"]["trucks_waited"],
        "incidents_injected": result["incidents_injected"],
        "incidents_detected": result["incidents_detected"],
        "false_alerts": result["false_alerts"],
    }
