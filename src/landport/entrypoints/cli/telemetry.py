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
from typing import TYPE_CHECKING, Annotated

import typer

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
    return settings, services, TelemetryIngestor(services.engine, services.clock)


@telemetry_app.command()
def listen(
    client_id: Annotated[str | None, typer.Option(help="MQTT client id (one per worker).")] = None,
    batch: Annotated[int, typer.Option(help="Messages per transaction at most.")] = 1000,
    host: Annotated[str | None, typer.Option(help="Broker host (LANDPORT_MQTT__HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Broker port (LANDPORT_MQTT__PORT).")] = None,
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
    worker.start()
    typer.echo(f"ingest worker {options.client_id} on {options.host}:{options.port}", err=True)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        services.dispose()


@telemetry_app.command("jt808-gateway")
def jt808_gateway(
    port: Annotated[int, typer.Option(help="TCP port the e-locks connect to.")] = 7808,
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

    text = sys.stdin.read() if frames == "-" else frames
    decoded = decode_hex(text, vendor=vendor)
    sys.stdout.write(json.dumps(decoded, ensure_ascii=False, indent=2) + "\n")
    if any("error" in item for item in decoded):
        raise typer.Exit(code=1)


def parse_age(text: str) -> timedelta:
    """'90d', '12h', '30m' → a duration."""
    match = re.fullmatch(r"(\d+)\s*([dhm])", text.strip())
    if not match:
        raise typer.BadParameter("use a number and d, h or m, e.g. 90d / 如 90d")
    value, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=value), "h": timedelta(hours=value), "m": timedelta(minutes=value)}[
        unit
    ]


@telemetry_app.command()
def purge(
    older_than: Annotated[str, typer.Option(help="Age of positions to delete, e.g. 90d.")],
    batch: Annotated[int, typer.Option(help="Rows per short transaction.")] = 5000,
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
