"""`landport appointments`: book, list, reschedule, cancel, walk-ins, the no-show sweep,
free places and the published rules. The shell acts as a port administrator (on a
forwarder's behalf); times without a zone are Beijing time."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from landport.adapters.db.appointment_queries import (
    appointment_view,
    capacity,
    list_appointments,
    standings,
)
from landport.bootstrap import Services
from landport.entrypoints.cli.app import (
    cli_actor,
    command_services,
    day_option,
    out,
    refusal,
    refuse,
    whole_number,
)
from landport.shared.clock import BEIJING, FIRST_DAY, LAST_DAY
from landport.shared.errors import DomainError
from landport.yard import appointment_commands as ac
from landport.yard.appointment_model import AppointmentPolicy, resources_from_layout
from landport.yard.appointment_rules import fairness_rule

appointments_app = typer.Typer(help="Truck appointments at the yard.", no_args_is_help=True)
POLICY = AppointmentPolicy()
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
COLUMNS = ("id", "resource_id", "slot_start_beijing", "status", "forwarder", "plate", "walk_in")


def register(app: typer.Typer) -> None:
    """Add the commands to the main CLI."""
    app.add_typer(appointments_app, name="appointments")


def _when(text: str) -> datetime:
    """--at: an ISO 8601 time (Beijing without a zone) on a day the command line accepts."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        value = None
    if value is None or not FIRST_DAY <= value.date() <= LAST_DAY:
        raise refuse(
            "--at",
            "invalid_time",
            f"--at must be an ISO 8601 time from {FIRST_DAY} to {LAST_DAY}, "
            f"e.g. 2026-05-05T14:00 (got {text!r})",
            f"--at 须为 {FIRST_DAY} 至 {LAST_DAY} 之间的 ISO 8601 时间，如 2026-05-05T14:00"
            f"（收到 {text!r}）",
        )
    return value if value.tzinfo is not None else value.replace(tzinfo=BEIJING)


def _day(text: str) -> date:
    return day_option("--date", text)


def _emit(data: Any, as_json: bool, table: Callable[[], Table]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        out.print(table())


def _rows(items: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(column)
    for item in items:
        table.add_row(*(str(item.get(c, "")) for c in COLUMNS))
    return table


def _command(make: Callable[[], object], as_json: bool) -> None:
    """Run one command through the bus and print the appointment it returns."""
    services = command_services()
    try:
        made = services.bus.handle(make()).result
        view = appointment_view(services.read_engine, made.id)
    except DomainError as exc:
        raise refusal(exc) from None
    finally:
        services.dispose()
    assert view is not None
    _emit(view, as_json, lambda: _rows([view], "appointment / 预约"))


def _read(use: Callable[[Services], Any]) -> Any:
    services = command_services()
    try:
        return use(services)
    finally:
        services.dispose()


@appointments_app.command("book")
def book_command(
    declaration: Annotated[str, typer.Option(help="Declaration id.")],
    resource: Annotated[str, typer.Option(help="Scan lane, exam bay or entry gate.")],
    at: Annotated[str | None, typer.Option(help="Start of the hour (Beijing if no zone).")] = None,
    earliest: Annotated[bool, typer.Option(help="The first hour with a free place.")] = False,
    standby: Annotated[bool, typer.Option(help="Join the standby list if full.")] = False,
    as_json: AsJson = False,
) -> None:
    """Book an hour for a declaration's truck."""
    if (at is None) == (not earliest):
        raise typer.BadParameter("give --at or --earliest / 请指定 --at 或 --earliest")
    slot = None if at is None else _when(at)
    _command(lambda: ac.BookAppointment(cli_actor(), declaration, resource, slot, standby), as_json)


@appointments_app.command("list")
def list_command(
    on: Annotated[str | None, typer.Option("--date", help="Beijing date, YYYY-MM-DD.")] = None,
    resource: Annotated[str | None, typer.Option(help="Only this resource.")] = None,
    status: Annotated[str | None, typer.Option(help="booked, standby, arrived, ...")] = None,
    limit: Annotated[
        int,
        typer.Option(
            parser=whole_number("--limit", 1, 5000),
            metavar="INTEGER",
            help="The latest this many appointments by slot (1 to 5000).",
        ),
    ] = 500,
    as_json: AsJson = False,
) -> None:
    """Appointments in slot order (the latest `--limit`; `total` counts all matching)."""
    day = _day(on) if on else None
    listing = _read(
        lambda s: list_appointments(
            s.read_engine, day=day, resource_id=resource, status=status, limit=limit
        )
    )
    shown, total = len(listing["items"]), listing["total"]
    title = f"appointments / 预约: {shown} of {total} / 共 {total} 条，显示 {shown} 条"
    _emit(listing, as_json, lambda: _rows(listing["items"], title))


@appointments_app.command("reschedule")
def reschedule_command(
    appointment_id: Annotated[str, typer.Argument(help="Appointment id.")],
    at: Annotated[str, typer.Option(help="Start of the new hour (Beijing if no zone).")],
    as_json: AsJson = False,
) -> None:
    """Move a booking to another hour of the same resource."""
    slot = _when(at)
    _command(lambda: ac.RescheduleAppointment(cli_actor(), appointment_id, slot), as_json)


@appointments_app.command("cancel")
def cancel_command(
    appointment_id: Annotated[str, typer.Argument(help="Appointment id.")],
    as_json: AsJson = False,
) -> None:
    """Cancel before the hour starts; the first standby entry is promoted."""
    _command(lambda: ac.CancelAppointment(cli_actor(), appointment_id), as_json)


@appointments_app.command("walk-in")
def walk_in_command(
    declaration: Annotated[str, typer.Option(help="Declaration id.")],
    resource: Annotated[str, typer.Option(help="Scan lane, exam bay or entry gate.")],
    refuse_when_full: Annotated[bool, typer.Option(help="Refuse instead of standby.")] = False,
    as_json: AsJson = False,
) -> None:
    """Admit a truck without appointment into the current hour if a place is free."""
    _command(
        lambda: ac.AdmitWalkIn(cli_actor(), declaration, resource, not refuse_when_full), as_json
    )


@appointments_app.command("sweep-no-shows")
def sweep_command(as_json: AsJson = False) -> None:
    """Close the hours past their grace period: arrived, no-show or expired standby."""
    services = command_services()
    try:
        result = services.bus.handle(ac.SweepNoShows(cli_actor())).result
    except DomainError as exc:
        raise refusal(exc) from None
    finally:
        services.dispose()

    def table() -> Table:
        t = Table(title="no-show sweep / 爽约检查")
        t.add_column("outcome")
        t.add_column("appointments")
        for key, ids in result.items():
            t.add_row(key, str(len(ids)))
        return t

    _emit(result, as_json, table)


@appointments_app.command("capacity")
def capacity_command(
    on: Annotated[str, typer.Option("--date", help="Beijing date, YYYY-MM-DD.")],
    as_json: AsJson = False,
) -> None:
    """Free places per resource and hour of a day."""
    day = _day(on)

    def free(s: Services) -> Any:
        layout = s.yard_files.layout()  # in force
        return capacity(s.read_engine, resources_from_layout(layout), day, POLICY)

    items = _read(free)

    def table() -> Table:
        t = Table(title=f"free places / 空余名额 {day.isoformat()}")
        for column in ("resource", "hour", "capacity", "booked", "standby", "free", "peak"):
            t.add_column(column)
        for r in items:
            for h in r["hours"]:
                t.add_row(
                    r["resource_id"],
                    h["hour"],
                    str(h["capacity"]),
                    str(h["booked"]),
                    str(h["standby"]),
                    str(h["free"]),
                    "peak" if h["peak"] else "",
                )
        return t

    _emit({"date": day.isoformat(), "resources": items}, as_json, table)


@appointments_app.command("rules")
def rules_command(as_json: AsJson = False) -> None:
    """The published fairness rule, in English and Chinese."""
    rule = fairness_rule(POLICY)
    data = {
        "code": rule.code,
        "text_en": rule.text_en,
        "text_zh": rule.text_zh,
        "parameters": rule.parameters,
    }

    def table() -> Table:
        t = Table(title=rule.code, show_header=False)
        t.add_column("")
        t.add_column("")
        t.add_row("en", rule.text_en)
        t.add_row("zh", rule.text_zh)
        for key, value in rule.parameters.items():
            t.add_row(key, value)
        return t

    _emit(data, as_json, table)


@appointments_app.command("standing")
def standing_command(
    forwarder: Annotated[str | None, typer.Option(help="USCC of the forwarder.")] = None,
    as_json: AsJson = False,
) -> None:
    """Forwarders' no-shows and kept slots under the fairness rule."""
    items = _read(lambda s: standings(s.read_engine, POLICY, s.clock.now(), forwarder=forwarder))

    def table() -> Table:
        t = Table(title="standing / 履约记录")
        for column in ("forwarder", "no_shows", "arrivals", "priority_suspended"):
            t.add_column(column)
        for i in items:
            t.add_row(
                i["forwarder"], str(i["no_shows"]), str(i["arrivals"]), str(i["priority_suspended"])
            )
        return t

    _emit({"items": items}, as_json, table)
