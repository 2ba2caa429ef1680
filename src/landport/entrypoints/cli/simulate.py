"""`landport simulate`: run the digital twin and answer capacity questions.

landport simulate [SCENARIO] --days 1 --seed 7 [--json] [--report out.html]
landport simulate --sweep scan_lanes=1..4 --sweep parking=100,200
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from landport.entrypoints.cli.app import whole_number
from landport.shared.errors import InvalidInput, Violation, os_error_text

if TYPE_CHECKING:
    from landport.simulation.scenario import Scenario
    from landport.simulation.sweep import Axis

err = Console(stderr=True, soft_wrap=True)  # a refusal quotes paths and values whole


def _refuse(violations: Sequence[Violation], code: int = 2) -> typer.Exit:
    """Print each broken rule in English and Chinese (as text: a rule may contain brackets
    that the console would take for markup) and give the exit to raise."""
    for v in violations:
        en, zh = escape(v.message_en), escape(v.message_zh)
        err.print(f"[red]error:[/red] {en}\n[red]错误：[/red]{zh}")
    return typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the commands to the main CLI."""
    app.command("simulate")(simulate)


def simulate(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Scenario TOML file or shipped name (default: shigatse)."),
    ] = None,
    days: Annotated[
        int,
        typer.Option(
            parser=whole_number("--days", 1, 400),
            metavar="INTEGER",
            help="Simulated days of arrivals (1 to 400).",
        ),
    ] = 1,
    seed: Annotated[
        int,
        typer.Option(
            parser=whole_number("--seed", None, None),
            metavar="INTEGER",
            help="Seed of every random draw: same seed, same run.",
        ),
    ] = 7,
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
            parser=whole_number("--jobs", 1, 64),
            metavar="INTEGER",
            help="Sweep configurations run at once (1 to 64), one process each "
            "(default: one per usable CPU; 1 with --database).",
        ),
    ] = None,
) -> None:
    """Run the port's digital twin on the platform's own rules and report what it handled."""
    from landport.simulation.report import run_report, sweep_report
    from landport.simulation.scenario import load_scenario
    from landport.simulation.sweep import parse_sweeps

    found: list[Violation] = []  # every bad input named at once, none after a run
    base: Scenario | None = None
    axes: list[Axis] = []
    try:
        base = load_scenario(scenario)
    except InvalidInput as exc:
        found += exc.violations
    try:
        axes = parse_sweeps(sweep or [])
    except InvalidInput as exc:
        found += exc.violations
    if sweep:
        found += _jobs_problems(jobs, database)
    elif jobs is not None:
        found.append(
            Violation(
                "--jobs",
                "jobs_without_sweep",
                "--jobs applies to a --sweep only (one run is one process)",
                "--jobs 仅适用于 --sweep（单次运行只用一个进程）",
            )
        )
    if database is not None:
        found += _database_url_problems(database)
    if report is not None:
        found += _report_problems(report)
    if found or base is None:
        raise _refuse(found)
    workers = _workers(jobs, database) if axes else 1
    with _sigterm_as_ctrl_c() as terminated:
        try:
            outcome = _run(base, axes, days, seed, database, workers)
        except InvalidInput as exc:  # a rule of the platform the scenario's values broke
            raise _refuse(exc.violations) from None
        except KeyboardInterrupt:  # the runs have ended and deleted their scratch databases
            raise _stopped(signal.SIGTERM if terminated else signal.SIGINT) from None
    if isinstance(outcome, tuple):
        rows, names, at_once = outcome
        if as_json:
            figures = {"sweep": rows, "jobs": at_once}  # configurations run at once
            sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
        else:
            _print_sweep(rows, at_once)
        if report is not None:
            _write_report(report, lambda: sweep_report(rows, names))
        return
    if as_json:
        sys.stdout.write(json.dumps(outcome, ensure_ascii=False, default=str) + "\n")
    else:
        _print_run(outcome)
    if report is not None:
        _write_report(report, lambda: run_report(outcome))


@contextmanager
def _sigterm_as_ctrl_c() -> Iterator[list[int]]:
    """SIGTERM (`timeout`, `kill`, a container stopping) stops the run as Ctrl-C does: by
    default it ends the process on the spot, and a scratch database of tens of MB stays in
    RAM (`/dev/shm`). The handler does what Ctrl-C's would at that moment (a sweep's flag, or
    KeyboardInterrupt), and notes the signal for the exit status. A SIGTERM that the caller
    ignores or handles is left alone, as is every signal off the main thread."""
    received: list[int] = []
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield received
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if received:  # stopping already: a second stop must not cut the clean-up short
            return
        received.append(signum)
        ctrl_c = signal.getsignal(signal.SIGINT)
        if not callable(ctrl_c):  # Ctrl-C ignored (a background job) or left to the system
            raise KeyboardInterrupt
        ctrl_c(signal.SIGINT, frame)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopped(signum: int) -> typer.Exit:
    """The exit of a run stopped by a signal: the shell's 128 + its number (130 for Ctrl-C,
    143 for SIGTERM), so that a script tells it from a refusal (2) or a failure (1)."""
    name = signal.Signals(signum).name
    err.print(f"stopped ({name}): no figures\n已停止（{name}）：没有结果", highlight=False)
    return typer.Exit(128 + signum)


def _run(
    base: Scenario, axes: list[Axis], days: int, seed: int, database: str | None, workers: int
) -> dict[str, Any] | tuple[list[dict[str, Any]], list[str], int]:
    """One run's figures, or a sweep's rows with the swept names and the runs at once."""
    from landport.simulation.parallel import run_many
    from landport.simulation.runner import run_simulation
    from landport.simulation.sweep import sweep as run_sweep

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
        return rows, names, at_once
    return result


def _report_problems(report: Path) -> list[Violation]:
    """A report path that cannot be written is refused before the run, not after it."""
    folder = report.parent
    if report.is_dir():
        en, zh = "is a folder", "是一个目录"
    elif not folder.is_dir():
        en, zh = f"its folder {folder} does not exist", f"所在目录 {folder} 不存在"
    elif not os.access(folder, os.W_OK) or (report.exists() and not os.access(report, os.W_OK)):
        en, zh = "cannot be written (no permission)", "无法写入（没有权限）"
    else:
        return []
    return [
        Violation("--report", "unwritable", f"--report {report}: {en}", f"--report {report}：{zh}")
    ]


def _write_report(report: Path, render: Callable[[], str]) -> None:
    """Write the report after the figures are out, so that a full disk loses only the page."""
    try:
        report.write_text(render(), encoding="utf-8")
    except OSError as exc:
        en, zh = os_error_text(exc)
        raise _refuse(
            [
                Violation(
                    "--report",
                    "unwritable",
                    f"--report {report}: cannot write ({en})",
                    f"--report {report}：无法写入（{zh}）",
                )
            ],
            code=1,
        ) from None
    shown = escape(str(report))
    err.print(f"report written to {shown}\n报告已写入 {shown}", highlight=False, soft_wrap=True)


def _database_url_problems(url: str) -> list[Violation]:
    """A URL SQLAlchemy cannot read is refused before the run (reaching the database is the
    run's first step and its own error)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        return [
            Violation(
                "--database",
                "bad_url",
                f"--database must be a SQLAlchemy URL such as sqlite:///twin.db or "
                f"postgresql+psycopg://host/db ({exc})",
                f"--database 须为 SQLAlchemy 数据库地址，如 sqlite:///twin.db 或 "
                f"postgresql+psycopg://host/db（{exc}）",
            )
        ]
    return []


def _workers(jobs: int | None, database: str | None) -> int:
    """Runs at once: each needs its own scratch database, so a given database runs them in
    turn (`_jobs_problems` refuses asking for more)."""
    from landport.simulation.parallel import usable_cpus

    if database is None:
        return jobs or min(usable_cpus(), 64)
    return 1


def _jobs_problems(jobs: int | None, database: str | None) -> list[Violation]:
    if database is None or jobs is None or jobs <= 1:
        return []
    return [
        Violation(
            "--jobs",
            "jobs_need_scratch_database",
            "--jobs above 1 runs each configuration on its own temporary database; "
            "with --database they run one at a time",
            "--jobs 大于 1 时每个配置使用各自的临时数据库；指定 --database 时只能逐个运行",
        )
    ]


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        # a long run (days of trips, a year) says when it will end: days cost about the same
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def _print_run(r: dict[str, Any]) -> None:
    out = Console(soft_wrap=True)  # a label never parts from its number in a piped file
    out.print(
        f"[bold]{r['trucks_handled']}[/bold] trucks handled in {r['days']} day(s) "
        f"({r['trucks_handled_per_day']}/day); {r['no_shows']} no-shows; "
        f"{r['trucks_shut_out']} shut out (goods refused); "
        f"{r['released_at_border']} released and {r['referred_at_border']} referred at the border"
        f"; {r['trucks_not_across']} sealed but not across when the run ended"
    )
    out.print("per lane: " + ", ".join(f"{k} {v}" for k, v in sorted(r["per_lane"].items())))
    for c in r.get("border_closures") or []:
        out.print(
            f"border closed: {c['port']} {c['from']} to {c['to']} ({escape(c['reason'])}), "
            f"known {c['announced']}"
        )
    if r.get("border_closures"):
        out.print(f"{r['trucks_held_for_closure']} released trucks waited for their seal")
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
    out.print(
        "peak queue (trucks waiting at once): "
        + ", ".join(f"{k} {v}" for k, v in r["peak_queue"].items())
    )
    lot = r["parking"]
    out.print(
        f"parking: {lot['slots']} slots, at most {lot['peak_in_use']} trucks parked at once; "
        f"{lot['trucks_waited']} sealed truck(s) waited for a slot "
        f"({lot['refused_tries']} tries refused with their zone full)"
    )
    out.print(
        f"incidents injected {r['incidents_injected']}, detected {r['incidents_detected']}; "
        f"alerts {r['alerts_raised']}, on clean trips {r['false_alerts']}; "
        f"precision {r['precision'] if r['alerts_raised'] else '– (no alerts)'}, "
        f"recall {r['recall'] if r['incidents_injected'] else '– (none injected)'}"
    )
    out.print(
        f"speed: {r['events_per_s']} events/s, {r['sim_days_per_wall_s']} simulated days per "
        f"wall-clock second ({r['simulated_days']:g} days simulated, the last trips followed "
        f"to the border, in {r['wall_s']} s)"
    )


#: The sweep's figures in two tables of a few narrow columns (headers broken by hand, numbers
#: never), so that every value shows whole in an 80-column terminal or a piped file:
#: (key, header, as a percentage).
_SWEEP_TABLES: tuple[tuple[str, tuple[tuple[str, str, bool], ...]], ...] = (
    (
        "throughput and lanes",
        (
            ("trucks_handled_per_day", "trucks\na day", False),
            ("trucks_shut_out", "shut\nout", False),
            ("inspected_trucks", "inspected\ntrucks", False),
            ("scan_lane_utilisation", "scan lanes\nbusy", True),
            ("peak_scan_queue", "peak scan\nqueue", False),
        ),
    ),
    (
        "parking (waited: sealed trucks that found no slot)",
        (
            ("parking_utilisation", "parking\nin use", True),
            ("peak_parking", "peak\nparked", False),
            ("parking_waited", "waited\nfor a slot", False),
            ("parking_wait_p90_min", "slot wait\np90 min", False),
        ),
    ),
    (
        "waiting, minutes (p50 median, p90 90th percentile)",
        (
            ("gate_wait_p90_min", "gate wait\np90", False),
            ("green_clearance_p50_min", "green\np50", False),
            ("clearance_p90_min", "clearance\np90", False),
            ("inspected_clearance_p90_min", "inspected\np90", False),
            ("yard_total_p90_min", "in yard\np90", False),
        ),
    ),
    (
        "incidents and alerts",
        (
            ("incidents_injected", "incidents\ninjected", False),
            ("incidents_detected", "detected", False),
            ("false_alerts", "alerts on\nclean trips", False),
            ("sim_days_per_wall_s", "simulated days\nper second", False),
        ),
    ),
)


def _print_sweep(rows: list[dict[str, Any]], at_once: int) -> None:
    out = Console(width=None if sys.stdout.isatty() else 120)
    axes = [k for k in rows[0] if k not in capacity_keys()]
    out.print(f"[bold]capacity per configuration[/bold] ({at_once} run at a time)")
    for title, figures in _SWEEP_TABLES:
        table = Table(
            title=title,
            box=box.SIMPLE_HEAD,
            title_justify="left",
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        for name in axes:
            table.add_column(name.replace("_", "\n", 1), justify="right", no_wrap=True)
        for _, header, _ in figures:
            table.add_column(header, justify="right", no_wrap=True)
        for row in rows:
            table.add_row(
                *(str(row[a]) for a in axes),
                *(_cell(row.get(key), percent) for key, _, percent in figures),
            )
        out.print(table)
        out.print()
    _plot(out, rows)


def _cell(value: Any, percent: bool) -> str:
    if value is None:
        return "–"
    return f"{value:.0%}" if percent else f"{value:g}" if isinstance(value, float) else str(value)


def _plot(out: Console, rows: list[dict[str, Any]]) -> None:
    """Capacity and waiting per configuration as bars, for a terminal without a browser."""
    axes = [k for k in rows[0] if k not in capacity_keys()]
    figures = (
        ("trucks_handled_per_day", "trucks/day"),
        ("inspected_clearance_p90_min", "inspected trucks' clearance p90 min"),
        ("yard_total_p90_min", "in the yard p90 min"),
    )
    names = [", ".join(f"{a}={r[a]}" for a in axes) for r in rows]
    label_width = max(len(n) for n in names)
    width = max(10, min(30, out.width - label_width - 12))  # the bar fits beside its label
    for key, label in figures:
        values = [r.get(key) or 0.0 for r in rows]
        top = max(values) or 1.0
        out.print(f"[bold]{label}[/bold]")
        for name, value in zip(names, values, strict=True):
            bar = "█" * max(1, round(width * value / top)) if value else ""
            out.print(f"  {name:<{label_width}} {bar} {value:g}", highlight=False)


def capacity_keys() -> set[str]:
    from landport.simulation.sweep import CAPACITY_KEYS, RUN_KEYS

    return {*CAPACITY_KEYS, *RUN_KEYS}
