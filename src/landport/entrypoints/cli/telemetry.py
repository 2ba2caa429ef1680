"""`landport telemetry`: the ingest worker, the JT/T 808 gateway, decoding, retention."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import signal
import socket
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from landport.entrypoints.cli.app import refuse, whole_number

if TYPE_CHECKING:
    from landport.adapters.telemetry.ingest import TelemetryIngestor
    from landport.bootstrap import Services

telemetry_app = typer.Typer(
    help="E-lock telemetry: ingest, decode, retention.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(telemetry_app, name="telemetry")


def _ingest_services() -> tuple[Services, timedelta]:
    """The services over the migrated database with its reference data, as the ingest needs
    them, and how far ahead of the clock a fix may be (the setting)."""
    from landport.adapters.db.migrate import upgrade
    from landport.bootstrap import bootstrap, ensure_reference_data
    from landport.settings import get_settings

    settings = get_settings()
    upgrade(settings.database.url)
    services = bootstrap(settings)
    ensure_reference_data(services)
    return services, timedelta(seconds=settings.telemetry.future_tolerance_s)


def _ingestor() -> tuple[Services, TelemetryIngestor]:
    from landport.adapters.telemetry.ingest import TelemetryIngestor

    services, ahead = _ingest_services()
    return services, TelemetryIngestor(services.engine, services.clock, future_tolerance=ahead)


@telemetry_app.command()
def listen(
    slot: Annotated[
        int | None,
        typer.Option(
            parser=whole_number("--slot", 0, 999),
            metavar="INTEGER",
            help="This worker's number on its host, 0 unless several run there (0 to 999): "
            "the client id is <group>-<host>-<slot>, the same after a restart, so a restarted "
            "worker resumes its session and the messages queued for it.",
        ),
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option(help="MQTT client id instead of <group>-<host>-<slot> (one per worker)."),
    ] = None,
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
    """Run an ingest worker; to scale out start more, each with its own --slot on a host."""
    from landport.adapters.telemetry.mqtt_worker import IngestWorker, WorkerOptions
    from landport.settings import get_settings

    if client_id is not None and slot is not None:
        raise refuse(
            "--slot",
            "slot_with_client_id",
            "--slot makes the client id; with --client-id it has no use: give one of them",
            "--slot 用于生成客户端标识，与 --client-id 同时给出无意义：请只给其中之一",
        )
    option = "--client-id" if client_id is not None else "--slot"
    mqtt = get_settings().mqtt
    where = (host or mqtt.host, port or mqtt.port)
    name = client_id or f"{mqtt.group}-{socket.gethostname()}-{slot or 0}"
    if _hold_client_id(name, *where) is False:  # before the database and broker are touched
        raise _client_id_taken(option, name, on_this_host=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    services, ingestor = _ingestor()
    options = WorkerOptions(
        host=where[0],
        port=where[1],
        client_id=name,
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
        where_text = f"{options.host}:{options.port}"
        raise _unreachable(
            f"the MQTT broker at {where_text}", f"MQTT 服务器 {where_text}", exc
        ) from None
    typer.echo(f"ingest worker {options.client_id} on {options.host}:{options.port}", err=True)
    # A service manager stops the worker with SIGTERM: the batch in hand is committed and
    # acknowledged first, and the totals are printed as for Ctrl-C.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: worker.finish())
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        services.dispose()
        typer.echo(f"ingest worker {options.client_id} stopped: {worker.stats.summary()}", err=True)
    if worker.clashed:
        raise _client_id_taken(option, name, on_this_host=False)


def _hold_client_id(client_id: str, host: str, port: int) -> bool | None:
    """Take this host's lock on `client_id` at that broker, held until the process ends (the
    kernel lets go of it however the process dies, so a restart is never refused): False if
    another worker of this host holds it, None where no lock can be taken (the broker's check
    in the worker still holds)."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system
        return None
    key = hashlib.sha256(f"{host}:{port}/{client_id}".encode()).hexdigest()[:24]
    path = Path(tempfile.gettempdir()) / f"landport-mqtt-{key}.lock"
    try:  # read-only: another user's lock file in the shared temp folder locks as well
        fd = os.open(path, os.O_RDONLY if path.exists() else os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _HELD_LOCKS.append(fd)  # kept open for the process's life
    return True


_HELD_LOCKS: list[int] = []


def _client_id_taken(option: str, client_id: str, *, on_this_host: bool) -> typer.Exit:
    """Two live workers under one client id would take the broker session from each other
    (each restart of one would steal the other's queued messages): refused in both languages,
    naming the option that gives each worker its own id."""
    where, where_zh = ("on this host", "本主机上") if on_this_host else ("to the broker", "")
    made = "生成" if option == "--slot" else "给出"
    value = "--client-id" if option == "--client-id" else "--slot (0, 1, 2...)"
    return refuse(
        option,
        "client_id_in_use",
        f"{option} gives the client id {client_id}, and another ingest worker is connected "
        f"{where} under it: two workers under one id take the broker session from each "
        f"other; give each worker its own {value}",
        f"{option} {made}的客户端标识 {client_id} 已被{where_zh}另一个接入进程用于连接 MQTT "
        f"服务器：同一标识的两个进程会互相抢夺服务器会话；请为每个进程指定不同的 {value}",
    )


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
    services, ingestor = _ingestor()
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


def _age(text: str) -> timedelta | None:
    """'90d', '12h', '30m' → a duration from a minute to MAX_AGE_DAYS; None for anything else."""
    match = re.fullmatch(r"(\d{1,12})\s*([dhm])", text.strip())
    minutes = int(match.group(1)) * _MINUTES[match.group(2)] if match else 0
    return timedelta(minutes=minutes) if 1 <= minutes <= MAX_AGE_DAYS * _MINUTES["d"] else None


def parse_age(text: str) -> timedelta:
    """'90d', '12h', '30m' → a duration from a minute to MAX_AGE_DAYS, or a refusal naming
    --older-than."""
    age = _age(text)
    if age is None:
        raise refuse(
            "--older-than",
            "invalid_age",
            "--older-than must be a whole number and d, h or m, from 1m to "
            f"{MAX_AGE_DAYS}d, e.g. 90d (got {text!r})",
            f"--older-than 须为整数加 d、h 或 m，介于 1m 至 {MAX_AGE_DAYS}d 之间，如 90d"
            f"（收到 {text!r}）",
        )
    return age


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
    """Delete old positions in small batches (the table is never locked for long), each batch
    audited; kept: trips under custody, with an alert not resolved, or referred at the border
    and not settled."""
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


def parse_since(text: str, now: datetime) -> datetime:
    """'7d', '12h', '30m' back from now, or an ISO 8601 time with its offset; else a refusal
    naming --since."""
    age = _age(text)
    if age is not None:
        return now - age
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        return moment
    raise refuse(
        "--since",
        "invalid_since",
        "--since must be an age (a whole number and d, h or m, up to "
        f"{MAX_AGE_DAYS}d, e.g. 7d) or an ISO 8601 time with its offset, e.g. "
        f"2026-05-02T08:00+08:00 (got {text!r})",
        f"--since 须为时长（整数加 d、h 或 m，至多 {MAX_AGE_DAYS}d，如 7d）或带时区偏移的 "
        f"ISO 8601 时间，如 2026-05-02T08:00+08:00（收到 {text!r}）",
    )


@telemetry_app.command("replay-rejects")
def replay_rejects(
    seal: Annotated[str | None, typer.Option(help="Only this e-lock's, e.g. EL-0042.")] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only those received since: an age (7d, 12h, 30m) or an ISO 8601 time with "
            "its offset."
        ),
    ] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option(
            help="Only those kept for this reason (repeatable); `unstorable` takes every "
            "unstorable:<error>."
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            parser=whole_number("--limit", 1, 100_000_000),
            metavar="INTEGER",
            help="At most this many, the oldest first.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Only say what each would become; nothing is changed.")
    ] = False,
) -> None:
    """Feed the dead-letter store's messages back through the ingest (verify, de-duplicate,
    store, monitor), the oldest first: each one now accepted is stored and leaves the store in
    one transaction, audited; each one still refused stays, listed with its reason now."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from landport.adapters.telemetry.replay import (
        DeadLetterReplay,
        Selection,
        count_dead_letters,
        dead_letters,
    )
    from landport.entrypoints.cli.app import cli_actor
    from landport.shared.clock import SystemClock

    after = None if since is None else parse_since(since, SystemClock().now())
    services, ahead = _ingest_services()
    selection = Selection(seal_id=seal, since=after, reasons=tuple(reason or ()))
    replayer = DeadLetterReplay(
        services.engine,
        services.clock,
        actor=cli_actor().username,
        dry_run=dry_run,
        future_tolerance=ahead,
    )
    counts: dict[str, int] = {"stored": 0, "duplicate": 0, "refused": 0, "gone": 0}
    refused: list[str] = []
    err = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    try:
        total, last = count_dead_letters(services.engine, selection)
        total = total if limit is None else min(total, limit)
        with progress:
            task = progress.add_task("replaying dead letters", total=total)
            for letter in dead_letters(services.engine, selection, up_to=last, limit=limit):
                done = replayer.replay(letter)
                counts[done.outcome] += 1
                if done.outcome == "refused":
                    refused.append(
                        f"#{letter.id} {letter.seal_id or '-'} kept as {letter.reason}: "
                        f"still refused ({done.reason})"
                    )
                progress.advance(task)
    except Exception as exc:
        if replayer.reachable():
            raise
        err.print(
            f"[red]error:[/red] the database stopped answering ({type(exc).__name__}); "
            "what was replayed before is committed, run the command again\n"
            "[red]错误：[/red]数据库无响应；此前已重放的已提交，请再次运行本命令",
            highlight=False,
        )
        raise typer.Exit(code=1) from None
    finally:
        services.dispose()
    for line in refused:
        typer.echo(line)
    accepted = "would be stored" if dry_run else "stored"
    typer.echo(
        f"{sum(counts.values())} dead letters replayed{' (dry run)' if dry_run else ''}: "
        f"{counts['stored']} {accepted}, {counts['duplicate']} already stored"
        f"{'' if dry_run else ' (removed)'}, {counts['refused']} still refused (kept)"
        + (f", {counts['gone']} taken by another replay" if counts["gone"] else "")
    )


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
