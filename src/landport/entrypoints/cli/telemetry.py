"""`landport telemetry`: the ingest worker, the JT/T 808 gateway, decoding, retention."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from landport.entrypoints.cli.app import refuse, whole_number

if TYPE_CHECKING:
    from landport.adapters.telemetry.ingest import TelemetryIngestor
    from landport.bootstrap import Services
    from landport.settings import Settings

telemetry_app = typer.Typer(
    help="E-lock telemetry: ingest, decode, retention.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(telemetry_app, name="telemetry")


def _ingestor() -> tuple[Settings, Services, TelemetryIngestor]:
    from landport.adapters.db.migrate import upgrade
    from landport.adapters.telemetry.ingest import TelemetryIngestor
    from landport.bootstrap import bootstrap, ensure_reference_data
    from landport.settings import get_settings

    settings = get_settings()
    upgrade(settings.database.url)
    services = bootstrap(settings)
    ensure_reference_data(services)
    ahead = timedelta(seconds=settings.telemetry.future_tolerance_s)
    return (
        settings,
        services,
        TelemetryIngestor(services.engine, services.clock, future_tolerance=ahead),
    )


@telemetry_app.command()
def listen(
    client_id: Annotated[str | None, typer.Option(help="MQTT client id (one per worker).")] = None,
    batch: Annotated[
        int,
        typer.Option(
            parser=whole_number("--batch", 1, 65535),
            metavar="INTEGER",
            help="Messages per transaction at most (1 to 65535).",
        ),
    ] = 1000,
    host: Annotated[str | None, typer.Option(help="Broker host (LANDPORT_MQTT__HOST).")] = None,
    port: Annotated[
        int | None,
        typer.Option(
            parser=whole_number("--port", 1, 65535),
            metavar="INTEGER",
            help="Broker port (LANDPORT_MQTT__PORT).",
        ),
    ] = None,
) -> None:
    """Run an ingest worker: start several with different --client-id to scale out."""
    from landport.adapters.telemetry.mqtt_worker import IngestWorker, WorkerOptions

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings, services, ingestor = _ingestor()
    mqtt = settings.mqtt
    options = WorkerOptions(
        host=host or mqtt.host,
        port=port or mqtt.port,
        client_id=client_id or f"landport-ingest-{socket.gethostname()}-{os.getpid()}",
        group=mqtt.group,
        username=mqtt.username,
        password=mqtt.password.get_secret_value() if mqtt.password else None,
        max_batch=batch,
        session_expiry_s=mqtt.session_expiry_s,
        protocol=mqtt.worker_protocol,
    )
    worker = IngestWorker(ingestor, options)
    try:
        worker.start()
    except OSError as exc:
        services.dispose()
        where = f"{options.host}:{options.port}"
        raise _unreachable(f"the MQTT broker at {where}", f"MQTT 服务器 {where}", exc) from None
    typer.echo(f"ingest worker {options.client_id} on {options.host}:{options.port}", err=True)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        services.dispose()


def _unreachable(what: str, what_zh: str, exc: OSError) -> typer.Exit:
    """A broker that cannot be reached or a port that cannot be listened on, named with the
    options that say where, in both languages."""
    from landport.shared.errors import os_error_text

    en, zh = os_error_text(exc)
    return refuse(
        "--host/--port",
        "unreachable",
        f"{what}: {en}; check --host and --port",
        f"{what_zh}：{zh}；请检查 --host 和 --port",
    )


@telemetry_app.command("jt808-gateway")
def jt808_gateway(
    port: Annotated[
        int,
        typer.Option(
            parser=whole_number("--port", 1, 65535),
            metavar="INTEGER",
            help="TCP port the e-locks connect to.",
        ),
    ] = 7808,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
) -> None:
    """Accept JT/T 808 terminals (register, authenticate, report) and ingest their fixes."""
    from landport.adapters.telemetry.jt808_wiring import run_gateway

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    _, services, ingestor = _ingestor()
    typer.echo(f"JT/T 808 gateway on {host}:{port}", err=True)
    try:
        asyncio.run(run_gateway(host, port, services.engine, ingestor))
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the port is taken, or the interface is not this machine's
        raise _unreachable(f"listening on {host}:{port}", f"在 {host}:{port} 监听", exc) from None
    finally:
        services.dispose()


@telemetry_app.command("decode-jt808")
def decode_jt808(
    frames: Annotated[str, typer.Argument(help="Hex of one or more frames ('-' reads stdin).")],
    vendor: Annotated[
        str, typer.Option(help="Vendor table for lock state and tamper.")
    ] = "generic",
) -> None:
    """Print the decoded frames as one JSON array; a broken frame is an error object."""
    from landport.seals.jt808.decode import decode_hex
    from landport.seals.jt808.vendors import VENDORS

    if vendor not in VENDORS:
        known = ", ".join(sorted(VENDORS))
        raise refuse(
            "--vendor",
            "unknown_vendor",
            f"--vendor must be one of {known} (got {vendor!r})",
            f"--vendor 须为 {known} 之一（收到 {vendor!r}）",
        )
    text = sys.stdin.read() if frames == "-" else frames
    decoded = decode_hex(text, vendor=vendor)
    sys.stdout.write(json.dumps(decoded, ensure_ascii=False, indent=2) + "\n")
    if any("error" in item for item in decoded):
        raise typer.Exit(code=1)


#: Minutes in one unit of an age, and the oldest age a purge takes (a century: anything
#: above is a typing slip, and far enough above it overflows the date of the cut-off).
_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}
MAX_AGE_DAYS = 36500


def parse_age(text: str) -> timedelta:
    """'90d', '12h', '30m' → a duration from a minute to MAX_AGE_DAYS, or a refusal naming
    --older-than."""
    match = re.fullmatch(r"(\d{1,12})\s*([dhm])", text.strip())
    minutes = int(match.group(1)) * _MINUTES[match.group(2)] if match else 0
    if not 1 <= minutes <= MAX_AGE_DAYS * _MINUTES["d"]:
        raise refuse(
            "--older-than",
            "invalid_age",
            "--older-than must be a whole number and d, h or m, from 1m to "
            f"{MAX_AGE_DAYS}d, e.g. 90d (got {text!r})",
            f"--older-than 须为整数加 d、h 或 m，介于 1m 至 {MAX_AGE_DAYS}d 之间，如 90d"
            f"（收到 {text!r}）",
        )
    return timedelta(minutes=minutes)


@telemetry_app.command()
def purge(
    older_than: Annotated[str, typer.Option(help="Age of positions to delete, e.g. 90d.")],
    batch: Annotated[
        int,
        typer.Option(
            parser=whole_number("--batch", 1, 100_000),
            metavar="INTEGER",
            help="Rows per short transaction (1 to 100000).",
        ),
    ] = 5000,
    dry_run: Annotated[bool, typer.Option(help="Only count what would be deleted.")] = False,
) -> None:
    """Delete old positions in small batches (the table is never locked for long); positions
    of trips still under custody are kept."""
    from landport.adapters.db.retention import purge_positions
    from landport.bootstrap import bootstrap
    from landport.settings import get_settings

    age = parse_age(older_than)
    services = bootstrap(get_settings())
    try:
        count = purge_positions(services.engine, age, batch=batch, dry_run=dry_run)
    finally:
        services.dispose()
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"{verb} {count} positions older than {older_than}")


@telemetry_app.command("broker-logins")
def broker_logins(
    file: Annotated[Path, typer.Argument(help="The broker's dynamic-security file to write.")],
    login: Annotated[
        list[str],
        typer.Option(
            help="NAME=ROLE, repeatable; roles: telemetry-publisher, ingest-worker, event-reader."
        ),
    ],
    group: Annotated[
        str | None, typer.Option(help="The workers' shared group (default: the setting).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write the custody broker's logins and roles (docs/telemetry.md, "Broker logins"); each
    login gets a new random password, printed once: only its hash is kept."""
    import secrets

    from landport.adapters.broker_security import roles, write_security_file
    from landport.settings import get_settings

    shared = group or get_settings().mqtt.group
    known = roles(shared)
    wanted: dict[str, str] = {}
    for item in login:
        name, _, role = item.partition("=")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name) or role not in known:
            raise refuse(
                "--login",
                "login_format",
                f"--login {item!r}: NAME=ROLE, the name of letters, digits, '.', '_' or '-', "
                f"the role one of {', '.join(known)}",
                f"--login {item!r}：格式为 名称=角色，名称由字母、数字、'.'、'_'、'-' 组成，"
                f"角色为 {', '.join(known)} 之一",
            )
        if name in wanted:
            raise refuse(
                "--login",
                "duplicate_login",
                f"--login {name} is given twice",
                f"--login {name} 重复",
            )
        wanted[name] = role
    if file.exists() and not force:
        raise refuse(
            "FILE",
            "exists",
            f"FILE {file} exists (it may hold logins added since): --force replaces it",
            f"FILE {file} 已存在（其中可能有后来添加的登录）：使用 --force 覆盖",
        )
    logins = {name: (secrets.token_urlsafe(18), role) for name, role in wanted.items()}
    try:
        write_security_file(file, logins, group=shared)
    except OSError as exc:
        raise refuse(
            "FILE",
            "unwritable",
            f"FILE {file} cannot be written ({exc.strerror})",
            f"FILE {file} 无法写入（{exc.strerror}）",
        ) from None
    for name, (password, role) in sorted(logins.items()):
        typer.echo(f"{name}\t{role}\t{password}")
    typer.echo(f"wrote {file}: give it to the broker's user (chown mosquitto:)", err=True)
