"""`landport yard`: follow and move truck visits, plan departures, read the layout.

The shell holder acts as a yard operator (a customs officer for customs holds). Every
command goes through the bus like the API's, so the same rules, refusals and audit apply.
"""

from __future__ import annotations

import getpass
import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from landport.adapters.db.yard_queries import list_visits, visit_view
from landport.adapters.reference_files import YardFiles
from landport.bootstrap import Services
from landport.enterprises.model import Actor, Role
from landport.entrypoints.cli.app import command_services, day_option, err, out, refusal
from landport.shared.errors import DomainError
from landport.yard import commands as yc
from landport.yard.handlers import GateOutBlocked

yard_app = typer.Typer(
    help="The inspection yard: truck visits and departures.", no_args_is_help=True
)

AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def register(app: typer.Typer) -> None:
    """Add the commands to the main CLI."""
    app.add_typer(yard_app, name="yard")


def _actor(role: Role = Role.YARD_OPERATOR) -> Actor:
    return Actor(f"cli:{getpass.getuser()}", role)


def _files(services: Services) -> YardFiles:
    return services.yard_files


def _dump(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n")


def _handle(command: object) -> tuple[Services, Any]:
    """Run one command; domain refusals print in both languages and exit 2."""
    services = command_services()
    try:
        return services, services.bus.handle(command).result
    except DomainError as exc:
        services.dispose()
        raise refusal(exc) from None


def _show(
    services: Services, visit_id: str, as_json: bool, extra: dict[str, Any] | None = None
) -> None:
    try:
        view = visit_view(
            services.read_engine,
            visit_id,
            _files(services).layout(),
            services.bus.context.catalog.places,
        )
    finally:
        services.dispose()
    if view is None:
        err.print(f"error: truck visit {visit_id} not found / 错误：未找到车辆作业 {visit_id}")
        raise typer.Exit(code=2)
    view = {**view, **(extra or {})}
    if as_json:
        _dump(view)
        return
    out.print(f"visit {view['id']}  {view['plate']}  {view['status']} / {view['status_zh']}")
    out.print(f"  declaration {view['declaration_number'] or view['declaration_id']}")
    if view["station"]:
        s = view["station"]
        out.print(f"  station {s['station_id']} ({s['kind']} / {s['kind_zh']})")
    if view["slot"]:
        out.print(f"  slot {view['slot']['slot_id']} ({view['slot']['zone_kind']})")
    if view["departure"]:
        out.print(f"  {view['departure']['driver_en']}")
        out.print(f"  {view['departure']['driver_zh']}")
    for h in view["holds"]:
        state = "active / 生效" if h["active"] else "lifted / 已解除"
        out.print(f"  hold {h['id']} {h['kind']}: {h['reason']} ({state})")
    for step in view["steps"]:
        out.print(f"  {step['at']}  {step['status']:<20} {step['actor']}  {step['reason'] or ''}")


@yard_app.command("visits")
def visits(
    status: Annotated[str | None, typer.Option(help="Only visits in this status.")] = None,
    as_json: AsJson = False,
) -> None:
    """Truck visits, newest first."""
    services = command_services()
    try:
        items = list_visits(services.read_engine, _files(services).layout(), status=status)
    finally:
        services.dispose()
    if as_json:
        _dump({"total": len(items), "items": items})
        return
    table = Table(title="Truck visits / 车辆作业")
    for column in ("visit", "plate", "status", "station", "slot", "departure (Beijing)"):
        table.add_column(column)
    for v in items:
        table.add_row(
            v["id"],
            v["plate"],
            f"{v['status']} / {v['status_zh']}",
            (v["station"] or {}).get("station_id", ""),
            (v["slot"] or {}).get("slot_id", ""),
            (v["departure_at_beijing"] or "")[:16],
        )
    out.print(table)


@yard_app.command("show")
def show(visit: str, as_json: AsJson = False) -> None:
    """One visit: station, slot, when to leave, holds and every step."""
    _show(command_services(), visit, as_json)


@yard_app.command("gate-in")
def gate_in(
    plate: str,
    declaration: Annotated[
        str | None,
        typer.Option(help="Declaration the driver carries (when several pre-advised the plate)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The entry gate read a plate; unknown or duplicate trucks are refused with the reason."""
    services, visit = _handle(yc.GateIn(_actor(), plate, declaration))
    _show(services, visit.visit.id, as_json)


@yard_app.command("gate-out")
def gate_out(plate: str, as_json: AsJson = False) -> None:
    """The exit gate read a plate: exit status 1 listing every blocker when refused."""
    services = command_services()
    try:
        visit = services.bus.handle(yc.GateOut(_actor(), plate)).result
    except GateOutBlocked as blocked:
        services.dispose()
        if as_json:
            _dump({"refused": True, "blockers": [b.as_dict() for b in blocked.blockers]})
        else:
            out.print(f"gate-out refused for {plate} / 不能出闸")
            for b in blocked.blockers:
                out.print(f"  - {b.code} [{b.field}]: {b.message_en} / {b.message_zh}")
        raise typer.Exit(code=1) from None
    except DomainError as exc:
        services.dispose()
        raise refusal(exc) from None
    _show(services, visit.visit.id, as_json)


@yard_app.command("dispatch")
def dispatch(visit: str, as_json: AsJson = False) -> None:
    """Send the truck to the station its lane needs, the one with the shortest wait."""
    services, sent = _handle(yc.DispatchVisit(_actor(), visit))
    station = sent.get("station")
    if not as_json:
        if station:
            out.print(f"{station['reason_en']} / {station['reason_zh']}")
        elif "waiting_for" in sent:
            out.print(f"waiting for {sent['waiting_for']['en']} / 等待{sent['waiting_for']['zh']}")
    _show(services, visit, as_json, {"dispatch": sent} if as_json else None)


@yard_app.command("park")
def park(visit: str, as_json: AsJson = False) -> None:
    """Assign the slot by zone rules; a sealed truck also gets its departure planned."""
    services, slot = _handle(yc.AssignParking(_actor(), visit))
    services.dispose()
    if as_json:
        _dump(slot)
        return
    out.print(f"slot {slot['slot_id']}: {slot['reason_en']}")
    out.print(f"车位 {slot['slot_id']}：{slot['reason_zh']}")
    if slot["departure"]:
        out.print(f"leave / 发车: {slot['departure']['departure_beijing']}")


@yard_app.command("fees-paid")
def fees_paid(visit: str, as_json: AsJson = False) -> None:
    """Record that the yard fees are settled."""
    services, _visit = _handle(yc.MarkFeesPaid(_actor(), visit))
    _show(services, visit, as_json)


@yard_app.command("plan-departures")
def plan_departures(as_json: AsJson = False) -> None:
    """Plan every parked, sealed truck against the border calendars and capacities."""
    services, result = _handle(yc.PlanDepartures(_actor()))
    services.dispose()
    if as_json:
        _dump(result)
        return
    out.print(f"{len(result['planned'])} truck(s) planned / 已安排 {len(result['planned'])} 辆")
    for p in result["planned"]:
        out.print(f"  {p['truck_id']} -> {p['port']}: leave {p['departure_beijing']}")
    for s in result["skipped"]:
        out.print(f"  {s['visit_id']} not planned: {s['reason_en']} / {s['reason_zh']}")


@yard_app.command("close-port")
def close_port(
    port: str,
    start: Annotated[str, typer.Option("--from", help="First closed day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last closed day, YYYY-MM-DD.")],
    reason: Annotated[str, typer.Option(help="Why the port is closed.")],
    as_json: AsJson = False,
) -> None:
    """Add a border-port closure; the trucks due there are re-planned and listed."""
    first, last = day_option("--from", start), day_option("--to", end)
    services, result = _handle(yc.AddPortClosure(_actor(), port, first, last, reason))
    services.dispose()
    if as_json:
        _dump(result)
        return
    out.print(f"{port} closed {start} to {end}; {len(result['replanned'])} truck(s) re-planned")
    for p in result["replanned"]:
        out.print(f"  {p['truck_id']}: leave {p['departure_beijing']} ({p['reason_en']})")


@yard_app.command("hold")
def hold(
    visit: str,
    kind: Annotated[str, typer.Option(help="customs or yard.")],
    reason: Annotated[str, typer.Option(help="Why the truck is held (required).")],
    as_json: AsJson = False,
) -> None:
    """Hold the truck: a customs hold acts as a customs officer, a yard hold as the yard."""
    role = Role.CUSTOMS_OFFICER if kind == "customs" else Role.YARD_OPERATOR
    services, _visit = _handle(yc.PlaceHold(_actor(role), visit, kind, reason))
    _show(services, visit, as_json)


@yard_app.command("layout")
def layout(as_json: AsJson = False) -> None:
    """The yard layout in force (the newest version kept in the database, else the operator's
    yard.json, else the packaged one)."""
    services = command_services()
    try:
        files = _files(services)
        in_force, current = files.layout_in_force(), files.layout()
        document = in_force["layout"]
    finally:
        services.dispose()
    if as_json:
        _dump(document)
        return
    version = in_force["version"]
    kept = f", version {version['number']} by {version['changed_by']}" if version else ""
    out.print(f"yard {current.yard_id} ({current.confidence}; {in_force['source']}{kept})")
    for lane in current.scan_lanes:
        out.print(f"  scan lane {lane.id}: {lane.kind}, {lane.service_minutes:g} min per truck")
    for bay in current.exam_bays:
        out.print(f"  bay {bay.id}")
    for zone in current.zones:
        out.print(f"  zone {zone.id} ({zone.kind.value}): {len(zone.slots)} slots")
    capacity = ", ".join(f"{k} {v}" for k, v in current.departures.daily_truck_capacity.items())
    out.print(f"  departures {current.departures.earliest:%H:%M}-{current.departures.latest:%H:%M}")
    out.print(f"  daily border capacity: {capacity}")
