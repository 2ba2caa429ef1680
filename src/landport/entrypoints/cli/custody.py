"""`landport` commands of e-lock custody: routes, seals, certificates, the border verdict."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from landport.adapters.certificates import (
    CertificateCheck,
    public_keyring,
    verify_certificate,
    verify_qr_payload,
)
from landport.adapters.db.border_queries import border_check, find_trip_id
from landport.adapters.db.custody_queries import existing_routes
from landport.adapters.route_files import routes_from_file
from landport.bootstrap import bootstrap
from landport.entrypoints.cli.app import (
    cli_actor,
    command_services,
    decimal_number,
    err,
    out,
    refusal,
    refuse,
    run_command,
)
from landport.entrypoints.cli.keys import verifying_keys
from landport.seals.border_handlers import GateReading
from landport.seals.commands import ImportRoutes, RegisterSeal, ResetTerminalRegistration
from landport.settings import get_settings
from landport.shared.clock import FIRST_DAY, LAST_DAY, SystemClock
from landport.shared.errors import DomainError, os_error_text

routes_app = typer.Typer(help="Approved transit routes (corridors).", no_args_is_help=True)
seals_app = typer.Typer(help="The e-lock pool.", no_args_is_help=True)
trips_app = typer.Typer(help="Sealed trips and their certificates.", no_args_is_help=True)
border_app = typer.Typer(
    help="The border verdict: compare, don't re-inspect.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(routes_app, name="routes")
    app.add_typer(seals_app, name="seals")
    app.add_typer(trips_app, name="trips")
    app.add_typer(border_app, name="border")


# --- routes ----------------------------------------------------------------------------------


@routes_app.command("import")
def routes_import(
    file: Annotated[Path, typer.Argument(help="GeoJSON (routes) or GPX (one track).")],
    route_id: Annotated[str | None, typer.Option(help="Route the GPX track replaces.")] = None,
    half_width: Annotated[
        float | None,
        typer.Option(
            parser=decimal_number("--half-width", 1, 5000),
            metavar="FLOAT",
            help="Corridor half-width in metres (1 to 5000).",
        ),
    ] = None,
) -> None:
    """Approve routes from a file; each import of a route is a new version."""
    services = command_services()
    try:
        existing = existing_routes(services.read_engine)
        parsed = routes_from_file(
            file,
            route_id=route_id,
            existing=existing,
            half_width_m=half_width,
            reference_dir=services.settings.reference_dir,
        )
        versions = services.bus.handle(ImportRoutes(cli_actor(), tuple(parsed))).result
    except DomainError as exc:
        raise refusal(exc) from None
    except UnicodeDecodeError as exc:
        raise refuse(
            "FILE",
            "not_utf8",
            f"FILE {file} is not UTF-8 text (byte {exc.start})",
            f"FILE {file} 不是 UTF-8 文本（第 {exc.start} 字节）",
        ) from None
    except OSError as exc:
        en, zh = os_error_text(exc)
        raise refuse(
            "FILE",
            "unreadable",
            f"FILE {file} cannot be read ({en})",
            f"FILE {file} 无法读取（{zh}）",
        ) from None
    finally:
        services.dispose()
    for route, version in zip(parsed, versions, strict=True):
        note = "approximate / 估算" if route.approximate else route.confidence
        out.print(f"route {route.route_id} imported as version {version} ({note})")


@routes_app.command("list")
def routes_list() -> None:
    """The approved routes; approximate ones are marked."""
    services = bootstrap(get_settings())
    try:
        found = existing_routes(services.read_engine)
    finally:
        services.dispose()
    table = Table(title="Approved routes / 批准路线")
    for column in ("route", "to port", "road km", "±m", "ver", "geometry"):
        table.add_column(column, no_wrap=True)
    for r in found.values():
        geometry = "APPROXIMATE" if r.approximate else r.confidence.split(" ")[0][:12]
        table.add_row(
            r.route_id,
            r.to_port,
            f"{r.road_km:.0f}",
            f"{r.half_width_m:.0f}",
            str(r.version),
            geometry,
        )
    out.print(table)


# --- seals -----------------------------------------------------------------------------------


@seals_app.command("register")
def seals_register(
    seal_id: Annotated[str, typer.Option(help="E-lock id, e.g. EL-0042.")],
    vendor: Annotated[str, typer.Option(help="Manufacturer.")],
    protocol: Annotated[str, typer.Option(help="json-mqtt or jt808.")],
    secret: Annotated[
        str, typer.Option(help="Device key (16+ characters).", envvar="LANDPORT_SEAL_SECRET")
    ],
    terminal_id: Annotated[
        str | None, typer.Option(help="JT/T 808 terminal phone number (required for jt808).")
    ] = None,
) -> None:
    """Add an e-lock to the pool."""
    seal = run_command(RegisterSeal(cli_actor(), seal_id, vendor, protocol, secret, terminal_id))
    out.print(f"e-lock {seal.seal_id} registered ({seal.protocol.value}, {seal.state.value})")


@seals_app.command("reset-registration")
def seals_reset_registration(
    seal_id: Annotated[str, typer.Option(help="E-lock id, e.g. EL-0042.")],
    reason: Annotated[str, typer.Option(help="Why the terminal may register again.")],
) -> None:
    """Let a JT/T 808 e-lock register again: its auth code stops working, and its next
    registration gets a new one (as a port administrator, audited)."""
    run_command(ResetTerminalRegistration(cli_actor(), seal_id, reason))
    out.print(f"e-lock {seal_id}: terminal registration reset; it may register again")


# --- certificates ----------------------------------------------------------------------------


@trips_app.command("verify-certificate")
def verify_certificate_file(
    file: Annotated[Path, typer.Argument(help="Certificate JSON, or a scanned LP1. token.")],
    public_key: Annotated[
        list[str] | None,
        typer.Option(help="Land port public key: PEM file or base64; repeat for several."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Verify as of this time (ISO 8601 with its offset, e.g. "
            "2026-05-02T18:00+08:00) instead of now: a certificate expires.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Offline: exit 0 only if the certificate (or QR token) is valid now (or --at), every
    reason otherwise; an expired one is refused. Without --public-key, the local signing key's
    public half (dev key in development)."""
    when = SystemClock().now() if at is None else _time_option("--at", at)
    keys = verifying_keys(public_key)
    try:
        data = file.read_bytes()
    except OSError as exc:
        err.print(f"error: cannot read {file}: {exc.strerror} / 错误：无法读取文件")
        raise typer.Exit(code=2) from None
    ring = public_keyring(keys)
    text = data.decode("utf-8", "replace").strip()
    check: CertificateCheck = (
        verify_qr_payload(text, ring, at=when)
        if text.startswith("LP1.")
        else verify_certificate(data, ring, at=when)
    )
    if as_json:
        sys.stdout.write(json.dumps(check.as_dict(), ensure_ascii=False, indent=1) + "\n")
    elif check.valid:
        trip = (check.certificate or {}).get("trip_id")
        until = check.as_dict()["valid_until"]
        out.print(f"VALID: certificate of trip {trip}, key {check.key_id} / 证书有效")
        out.print(f"  valid until {until} / 有效期至 {until}", markup=False, highlight=False)
    else:
        out.print(f"INVALID (key {check.key_id}) / 证书无效")
        for r in check.reasons:
            out.print(f"  - {r.code} [{r.field}]: {r.message_en} / {r.message_zh}")
    if not check.valid:
        raise typer.Exit(code=1)


def _time_option(option: str, text: str) -> datetime:
    """An ISO 8601 time with its offset (a time without one is not guessed at), or a refusal."""
    try:
        moment: datetime | None = datetime.fromisoformat(text.strip())
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None or not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise refuse(
            option,
            "invalid_time",
            f"{option} must be a time from {FIRST_DAY} to {LAST_DAY} in ISO 8601 with its "
            f"offset, e.g. 2026-05-02T18:00+08:00 (got {text!r})",
            f"{option} 须为 {FIRST_DAY} 至 {LAST_DAY} 之间、带时区偏移的 ISO 8601 时间，"
            f"例如 2026-05-02T18:00+08:00（收到 {text!r}）",
        )
    return moment


# --- the border verdict ----------------------------------------------------------------------


@border_app.command("verify")
def border_verify(
    port: Annotated[str, typer.Option(help="The officer's border port, e.g. gyirong-port.")],
    plate: Annotated[str | None, typer.Option(help="Plate read at the gate.")] = None,
    container: Annotated[
        list[str] | None, typer.Option(help="Container read at the gate (repeat).")
    ] = None,
    seal: Annotated[str | None, typer.Option(help="E-lock id read at the gate.")] = None,
    trip: Annotated[str | None, typer.Option(help="Trip id from the certificate QR.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Pass (exit 0) or refer (exit 1), with every check; what was not read is taken from the
    record. Exit 2 when no trip matches."""
    containers = tuple(container or ())
    if not (plate or containers or seal or trip):
        err.print("error: give --plate, --container, --seal or --trip / 错误：须提供识别信息")
        raise typer.Exit(code=2)
    services = bootstrap(get_settings())
    try:
        first = containers[0] if containers else None
        kw: dict[str, Any] = dict(plate=plate, container=first, seal=seal, trip=trip)
        trip_id = find_trip_id(services.read_engine, **kw)
        view = None
        if trip_id is not None:
            reading = GateReading(plate, containers, seal, trip)
            view = border_check(
                services.read_engine,
                trip_id,
                reading,
                officer_port=port,
                now=services.clock.now(),
                port_names=services.bus.context.catalog.border_port_names,
            )
    finally:
        services.dispose()
    if view is None:
        err.print("error: no trip matches what was read / 错误：未找到相符的运输")
        raise typer.Exit(code=2)
    if as_json:
        sys.stdout.write(json.dumps(view, ensure_ascii=False, indent=1) + "\n")
    else:
        out.print(f"trip {view['trip_id']}  at {port}  ({view['evaluated_at']})")
        for c in view["checks"]:
            mark = "PASS " if c["ok"] else "REFER"
            out.print(f"{mark} {c['code']:<22} {c['figure']}", markup=False, highlight=False)
            out.print(f"      {c['message_en']} / {c['message_zh']}", markup=False)
        if view["not_read_at_gate"]:
            out.print(
                "not read at the gate (taken from the record): "
                + ", ".join(view["not_read_at_gate"])
            )
        out.print(f"VERDICT: {view['verdict'].upper()}")
    if view["verdict"] != "pass":
        raise typer.Exit(code=1)
