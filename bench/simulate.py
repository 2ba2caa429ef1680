"""The digital twin's speed: one simulated day of the default scenario with the real handlers,
against a bare SimPy model of the same queueing network (the ceiling), and a simulated year.

- `day_*`: `run_simulation(shigatse, days=1)`: about 300 trucks through every command of the
  platform (declare, pre-advise, appointments, gate, dispatch, inspections, release, e-lock,
  parking, departure planning, gate-out, border release) on a temporary SQLite file, and
  their e-locks' signed telemetry at one fix a minute through the real ingest path, until
  the last truck has crossed the border (three more simulated days of trips).
- `bare_*`: the same arrivals, stations, hours and service times without the domain.
- `year_wall_s`: with `--year`, a measured 365-day run of the twin (three hours or more
  on the machines measured so far, see docs/simulation.md; every tenth day's wall and CPU
  time so far on stderr; stopped early by Ctrl-C or SIGTERM, the JSON still comes, with
  `year_days_measured`, `year_measured_wall_s` and the rest at the pace of the last 30 days;
  and
  `daily_wall_s`, `year_trucks_handled`, `year_incidents` [injected, detected] and
  `year_false_alerts` in the JSON); otherwise a measured
  5-day run plus 360 times its costliest of the last two days (`daily_wall_s` lists each
  day's wall time: a day costs more until the trips of earlier days stop overlapping, then
  levels off; positions of finished trips older than 14 days are purged nightly, so later
  days do not grow with the history), and `year_measured` says which. The bare model's
  year is always measured.
- `ingest_*`: the share of the day spent in `TelemetryIngestor.ingest_messages` (verify,
  de-duplicate, store, monitor) and its cost per signed fix; `ingest_cache` its trip
  memory's hits and misses; `database` says the run's scratch SQLite file skips fsync.
- `floor_*`: the least any ingest keeping every fix as a row must do with the day's fixes,
  in the same run (`bench/_storage_floor.py`): the e-locks' encoding and signing
  (`floor_encode_sign_s`), then JSON parsing, the HMAC check and one insert each into the
  `positions` table in the day's number of transactions (`floor_day_wall_s`), stdlib only.
  `floor_over_goal_day` is both against the day's goal, `day_over_floor` the twin's day
  against both.
- `sweep_*`: a two-configuration sweep (`scan_lanes=1..2`, one day each) run one after
  another and then side by side, one process per configuration (`--jobs`): what capacity
  planning waits for on this machine's cores.
- `--profile`: the top functions by cumulative time of the day run (cProfile), on stderr
  and as `profile_top`.

Deterministic (seed 7); no pass/fail: one JSON object on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import signal
import sys
import time
from pathlib import Path
from typing import Any

try:
    import landport  # noqa: F401
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _storage_floor import storage_floor
from _support import log

from landport.simulation.bare import BareModel
from landport.simulation.parallel import run_many, usable_cpus
from landport.simulation.runner import DRAIN_DAYS, run_simulation
from landport.simulation.scenario import Scenario, load_scenario
from landport.simulation.sweep import capacity_figures

SEED = 7
WEEK_DAYS = 5  # trips last up to three days: by the fourth the road is as full as it gets


def daily_costs(
    scenario: Scenario, days: int, *, stoppable: bool = False
) -> tuple[list[float], float, dict[str, Any] | None]:
    """Wall seconds of each simulated day with arrivals in one `days`-day run, the run's
    whole wall time (its last trips followed to the border) and its figures. Every tenth
    day's time so far goes to stderr, wall and CPU (the steadier on a shared machine): a long
    run stopped early still says how it went. `stoppable`: Ctrl-C or SIGTERM ends the run
    where it is, and the figures are None (the days measured so far are returned)."""
    until = (days + DRAIN_DAYS) * 86400.0
    marks: dict[int, float] = {}
    cpu: dict[int, float] = {}
    start, cpu_start = time.perf_counter(), time.process_time()

    def progress(fraction: float) -> None:
        day = int(fraction * until // 86400)
        if day not in marks:
            marks[day] = time.perf_counter() - start
            cpu[day] = time.process_time() - cpu_start
            if day and day % 10 == 0:
                ten = marks[day] - marks.get(day - 10, 0.0)
                ten_cpu = cpu[day] - cpu.get(day - 10, 0.0)
                log(
                    f"  day {day}: {marks[day]:.0f} s so far, the last ten days {ten:.0f} s"
                    f" ({ten_cpu:.0f} s CPU)"
                )

    try:
        result: dict[str, Any] | None = run_simulation(
            scenario, days=days, seed=SEED, progress=progress
        )
    except KeyboardInterrupt:
        if not stoppable:
            raise
        log(f"  stopped after {max(marks, default=0)} simulated days")
        result = None
    wall = time.perf_counter() - start
    daily = [marks[d + 1] - marks[d] for d in range(days) if d + 1 in marks and d in marks]
    return daily, wall, result


def timed_run(
    scenario: Scenario, days: int, *, profile: bool = False
) -> tuple[dict[str, Any], float, list[Any]]:
    cpu0 = time.process_time()
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    result = run_simulation(scenario, days=days, seed=SEED)
    if profiler is not None:
        profiler.disable()
    cpu = time.process_time() - cpu0
    top: list[Any] = []
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(25)
        log(out.getvalue())
        for (path, line, name), row in sorted(
            stats.stats.items(),  # type: ignore[attr-defined]
            key=lambda kv: kv[1][3],
            reverse=True,
        )[:25]:
            top.append({"function": f"{Path(path).name}:{line}({name})", "cum_s": round(row[3], 3)})
    return result, cpu, top


def sweep_figures(scenario: Scenario) -> dict[str, Any]:
    """The side-by-side time includes spawning the workers and their imports: what a user
    of `landport simulate --sweep` waits for."""
    configurations = [scenario.with_values(scan_lanes=n) for n in (1, 2)]
    start = time.perf_counter()
    alone = [run_simulation(c, days=1, seed=SEED) for c in configurations]
    in_turn = time.perf_counter() - start
    start = time.perf_counter()
    together = run_many(configurations, days=1, seed=SEED, jobs=usable_cpus())
    side_by_side = time.perf_counter() - start
    return {
        "sweep_configurations": len(configurations),
        "sweep_jobs": min(len(configurations), usable_cpus()),
        "sweep_in_turn_wall_s": round(in_turn, 1),
        "sweep_side_by_side_wall_s": round(side_by_side, 1),
        "sweep_speedup": round(in_turn / side_by_side, 2),
        "sweep_same_figures": [capacity_figures(r) for r in alone]
        == [capacity_figures(r) for r in together],
    }


def _stop(_signum: int, _frame: object) -> None:
    """SIGTERM as Ctrl-C: a year run ended from outside still prints what it measured."""
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", action="store_true", help="measure a 365-day twin run")
    parser.add_argument("--profile", action="store_true", help="cProfile the day run")
    args = parser.parse_args()

    scenario = load_scenario()
    log("bare model: one day, one year ...")
    bare_day = BareModel(scenario, seed=SEED, days=1).run()
    bare_year = BareModel(scenario, seed=SEED, days=365).run()

    log("twin: one day of the default scenario ...")
    day, day_cpu, top = timed_run(scenario, 1, profile=args.profile)
    out: dict[str, Any] = {
        "scenario": day["scenario"],
        "trucks_handled": day["trucks_handled"],
        "telemetry_messages": day["telemetry_messages"],
        "events": day["events"],
        "day_wall_s": day["wall_s"],
        "day_cpu_s": round(day_cpu, 3),
        "events_per_s": day["events_per_s"],
        "telemetry_messages_per_s": round(day["telemetry_messages"] / day["wall_s"]),
        "ingest_wall_s": day["ingest_wall_s"],
        "ingest_us_per_fix": day["ingest_us_per_fix"],
        "ingest_cache": day["ingest_cache"],
        "database": day["database"],
        "sim_days_per_wall_s": day["sim_days_per_wall_s"],
        "bare_day_wall_s": bare_day["wall_s"],
        "bare_events_per_s": bare_day["events_per_s"],
        "bare_trucks_handled": bare_day["trucks_handled"],
        "bare_year_wall_s": bare_year["wall_s"],
        "twin_over_bare_day": round(day["wall_s"] / bare_day["wall_s"]),
        "goal_day_wall_s": 5.0,
        "goal_year_wall_s": 600.0,
    }
    log("floor: only parsing, verifying and storing as many fixes, nothing else ...")
    floor = storage_floor(day["telemetry_messages"], day["telemetry_batches"])
    with_encoding = floor["floor_encode_sign_s"] + floor["floor_day_wall_s"]
    out.update(
        floor,
        floor_with_encoding_s=round(with_encoding, 2),
        floor_over_goal_day=round(with_encoding / out["goal_day_wall_s"], 2),
        day_over_floor=round(day["wall_s"] / with_encoding, 1),
    )
    log("sweep: two configurations one after another, then side by side ...")
    out.update(sweep_figures(scenario))
    if args.year:
        log("twin: one year (this takes a while; Ctrl-C or SIGTERM reports the days so far) ...")
        signal.signal(signal.SIGTERM, _stop)
        daily, year_wall, year = daily_costs(scenario, 365, stoppable=True)
        out["daily_wall_s"] = [round(d, 1) for d in daily]
        if year is not None:
            out.update(
                year_wall_s=round(year_wall, 1),
                year_measured=True,
                year_trucks_handled=year["trucks_handled"],
                year_incidents=[year["incidents_injected"], year["incidents_detected"]],
                year_false_alerts=year["false_alerts"],
            )
        else:  # stopped: the days measured, and the rest at the pace of the last 30
            recent = daily[-30:] or [year_wall]
            left = 365 + DRAIN_DAYS - len(daily)
            out.update(
                year_wall_s=round(year_wall + left * sum(recent) / len(recent), 1),
                year_measured=False,
                year_days_measured=len(daily),
                year_measured_wall_s=round(year_wall, 1),
            )
    else:
        log(f"twin: {WEEK_DAYS} days, for the cost of a day once trips overlap ...")
        daily, week_wall, _ = daily_costs(scenario, WEEK_DAYS)
        steady = max(daily[-2:])  # the days after the first trucks' trips have all overlapped
        out.update(
            year_wall_s=round(week_wall + (365 - WEEK_DAYS) * steady, 1),
            year_measured=False,
            daily_wall_s=[round(d, 1) for d in daily],
            steady_day_wall_s=round(steady, 1),
        )
    if top:
        out["profile_top"] = top
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
