"""`landport simulate`: run the digital twin and answer capacity questions.

landport simulate [SCENARIO] --days 1 --seed 7 [--json] [--report out.html]
landport simulate --sweep scan_lanes=1..4 --sweep parking=100,200
"""

from __future__ import annotations

import json
import math
import sys
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from landport.shared.errors import InvalidInput, Violation

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the commands to the main CLI."""
    app.command("simulate")(simulate)


def simulate(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Scenario TOML file or shipped name (default: shigatse)."),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=400, help="Simulated days of arrivals.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of every random draw: same seed, same run.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option(help="Vary a resource: scan_lanes=1..4, parking=100,200 (repeatable)."),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL to run on (default: a temporary SQLite file)."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Sweep configurations run at once, one process each "
            "(default: one per usable CPU; 1 with --database).",
        ),
    ] = None,
) -> None:
    """Run the port's digital twin on the platform's own rules and report what it handled."""
    from landport.simulation.parallel import run_many
    from landport.simulation.report import run_report, sweep_report
    from landport.simulation.runner import run_simulation
    from landport.simulation.scenario import Scenario, load_scenario
    from landport.simulation.sweep import parse_sweeps
    from landport.simulation.sweep import sweep as run_sweep

    try:
        base = load_scenario(scenario)
        axes = parse_sweeps(sweep or [])
        workers = _workers(jobs, database) if axes else 1
    except InvalidInput as exc:
        for v in exc.violations:
            err.print(f"[red]error:[/red] {v.message_en}\n[red]错误：[/red]{v.message_zh}")
        raise typer.Exit(2) from None
    with _progress() as progress:
        if not axes:
            task = progress.add_task(f"{base.name}: {days} day(s)", total=1.0)
            result = run_simulation(
                base,
                days=days,
                seed=seed,
                database_url=database,
                progress=lambda done: progress.update(task, completed=done),
            )
        else:
            names = [a[0] for a in axes]
            total = math.prod(len(a[1]) for a in axes)
            task = progress.add_task(f"sweep {', '.join(names)}", total=float(total))
            done = [0.0] * total

            def advance(index: int, fraction: float) -> None:
                done[index] = fraction
                progress.update(task, completed=sum(done))

            def in_turn(scenarios: list[Scenario]) -> list[dict[str, Any]]:
                return [
                    run_simulation(
                        s,
                        days=days,
                        seed=seed,
                        database_url=database,
                        progress=partial(advance, i),
                    )
                    for i, s in enumerate(scenarios)
                ]

            def side_by_side(scenarios: list[Scenario]) -> list[dict[str, Any]]:
                return run_many(scenarios, days=days, seed=seed, jobs=workers, progress=advance)

            at_once = min(workers, total)
            rows = run_sweep(base, axes, side_by_side if at_once > 1 else in_turn)
    if axes:
        if report is not None:
            report.write_text(sweep_report(rows, names), encoding="utf-8")
        if as_json:
            figures = {"sweep": rows, "jobs": at_once}  # configurations run at once
            sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
        else:
            _print_sweep(rows, at_once)
        return
    if report is not None:
        report.write_text(run_report(result), encoding="utf-8")
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")
    else:
        _print_run(result)


def _workers(jobs: int | None, database: str | None) -> int:
    """Runs at once: each needs its own scratch database, so a given database runs them in
    turn."""
    from landport.simulation.parallel import usable_cpus

    if database is None:
        return jobs or min(usable_cpus(), 64)
    if jobs is not None and jobs > 1:
        raise InvalidInput(
            [
                Violation(
                    "--jobs",
                    "jobs_need_scratch_database",
                    "--jobs above 1 runs each configuration on its own temporary database; "
                    "with --database they run one at a time",
                    "--jobs 大于 1 时每个配置使用各自的临时数据库；指定 --database 时只能逐个运行",
                )
            ]
        )
    return 1


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _print_run(r: dict[str, Any]) -> None:
    out = Console()
    out.print(
        f"[bold]{r['trucks_handled']}[/bold] trucks handled in {r['days']} day(s) "
        f"({r['trucks_handled_per_day']}/day); {r['no_shows']} no-shows; "
        f"{r['released_at_border']} released and {r['referred_at_border']} referred at the border"
    )
    out.print("per lane: " + ", ".join(f"{k} {v}" for k, v in sorted(r["per_lane"].items())))
    out.print(f"green lane handling p50 {r['green_clearance_p50_min']} min")
    table = Table(title="time-release segments (minutes)")
    for column in ("segment", "p50", "p90"):
        table.add_column(column)
    for name, seg in r["time_release"].items():
        table.add_row(name, str(seg["p50_min"]), str(seg["p90_min"]))
    out.print(table)
    out.print(
        "utilisation: "
        + ", ".join(f"{k} {v:.0%}" for k, v in r["utilisation"].items() if v is not None)
    )
    out.print("peak queue: " + ", ".join(f"{k} {v}" for k, v in r["peak_queue"].items()))
    out.print(
        f"incidents injected {r['incidents_injected']}, detected {r['incidents_detected']}; "
        f"alerts {r['alerts_raised']}, on clean trips {r['false_alerts']}; "
        f"precision {r['precision']}, recall {r['recall']}"
    )
    out.print(
        f"speed: {r['events_per_s']} events/s, {r['sim_days_per_wall_s']} simulated days per "
        f"wall-clock second ({r['wall_s']} s)"
    )


def _print_sweep(rows: list[dict[str, Any]], at_once: int) -> None:
    out = Console()
    table = Table(title=f"capacity per configuration ({at_once} run at a time)")
    for column in rows[0]:
        table.add_column(column.replace("_", " "))
    for row in rows:
        table.add_row(*("–" if v is None else str(v) for v in row.values()))
    out.print(table)
    _plot(out, rows)


def _plot(out: Console, rows: list[dict[str, Any]]) -> None:
    """Capacity and waiting per configuration as bars, for a terminal without a browser."""
    axes = [k for k in rows[0] if k not in capacity_keys()]
    figures = (
        ("trucks_handled_per_day", "trucks/day"),
        ("inspected_clearance_p90_min", "inspected trucks' clearance p90 min"),
        ("yard_total_p90_min", "in the yard p90 min"),
    )
    width = 30
    for key, label in figures:
        values = [r.get(key) or 0.0 for r in rows]
        top = max(values) or 1.0
        out.print(f"[bold]{label}[/bold]")
        for row, value in zip(rows, values, strict=True):
            name = ", ".join(f"{a}={row[a]}" for a in axes)
            bar = "█" * max(1, round(width * value / top)) if value else ""
            out.print(f"  {name:<40} {bar} {value:g}")


def capacity_keys() -> set[str]:
    from landport.simulation.sweep import CAPACITY_KEYS

    return set(CAPACITY_KEYS)
