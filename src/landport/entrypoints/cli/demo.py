"""`landport demo`: migrate, seed the demo port and serve it, with the twin making it live."""

from __future__ import annotations

import errno
import socket
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import Annotated, Any

import typer
from rich.table import Table

from landport.adapters.db.migrate import upgrade
from landport.bootstrap import bootstrap
from landport.demo.dataset import DEMO_PASSWORD, demo_logins
from landport.demo.port import seed_demo_port
from landport.entrypoints.cli.app import decimal_number, refusal, whole_number
from landport.seals.calendar import BEIJING
from landport.settings import Settings, get_settings
from landport.shared.clock import SystemClock, beijing_date
from landport.shared.errors import InvalidInput, Violation, os_error_text


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[
            int,
            typer.Option(
                parser=whole_number("--port", 1, 65535), metavar="INTEGER", help="TCP port."
            ),
        ] = 8000,
        serve: Annotated[bool, typer.Option(help="Serve the API after seeding.")] = True,
        twin: Annotated[
            bool, typer.Option(help="Run the digital twin in the server (--no-twin: serve only).")
        ] = True,
        speed: Annotated[
            float,
            typer.Option(
                parser=decimal_number("--speed", 1.0, 3600.0),
                metavar="FLOAT",
                help="Simulated seconds per real second (1 to 3600).",
            ),
        ] = 60.0,
        scenario: Annotated[
            str | None, typer.Option(help="Scenario of the twin (default: shigatse).")
        ] = None,
        seed_value: Annotated[int, typer.Option("--seed", help="Seed of the twin's draws.")] = 7,
        fresh: Annotated[
            bool,
            typer.Option(help="Start from a new demo database (the embedded SQLite file only)."),
        ] = False,
    ) -> None:
        """Set up the demo port (SQLite by default) and serve it on http://127.0.0.1:8000."""
        from rich.console import Console

        from landport.simulation.scenario import load_scenario

        out = Console()
        settings = get_settings()
        try:
            plan = load_scenario(scenario) if twin and serve else None
            if serve:  # before the minute of seeding and warming up, not after it
                refuse_an_address_in_use(host, port)
            refuse_a_real_port(settings)
        except InvalidInput as exc:
            raise refusal(exc) from None
        if fresh:
            out.print(start_afresh(settings.database.url))
        upgrade(settings.database.url)  # its folder and schema, before anything reads it
        earlier = latest_instant(settings.database.url)
        if plan is None:
            start = SystemClock().now()
        elif earlier is None:  # a new port: warm it up to the morning it opens on
            opening = morning(SystemClock().now())
            start = opening - WARM_UP
        else:  # the clock never runs backwards: on from where the last run stopped
            start = max(earlier, SystemClock().now())
            out.print(
                f"continuing the port of an earlier run at {start:%Y-%m-%d %H:%M} UTC; its "
                "trucks stand where they stopped (--fresh starts over)"
            )
        with out.status("seeding the demo port ..."):
            result, trips = seed_demo_port(settings, start, custody=plan is None)
        if result["seeded"]:
            lanes = ", ".join(f"{k}: {v}" for k, v in result.items() if k != "seeded")
            out.print(
                f"seeded {result['seeded']} declarations ({lanes}), {trips['trips']} "
                "sealed trucks on the corridors"
            )
        else:
            out.print("demo data already present")
        live = None
        if plan is not None:
            from landport.demo.live import live_clock

            env, clock = live_clock(start, speed)
            services = bootstrap(settings, clock=clock)
        else:
            services = bootstrap(settings)
        table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
        for column in ("username", "role", "bound to"):
            table.add_column(column)
        for row in demo_logins():
            table.add_row(*row)
        out.print(table)
        if not serve:
            services.dispose()
            return
        import uvicorn

        from landport.entrypoints.web.app import create_app

        app = create_app(services=services)
        if plan is not None:
            from landport.demo.live import LiveTwin, for_visitors

            hub = getattr(app.state, "live_events", None)
            live = LiveTwin(
                services,
                for_visitors(plan),
                env,
                clock,
                seed=seed_value,
                on_report=None if hub is None else hub.on_ingest_report,
            )
            app.state.digital_twin = live
        try:
            if live is not None and plan is not None:
                if earlier is None:
                    warm(out, live, start + WARM_UP)
                live.start()
                out.print(
                    f"digital twin: scenario {plan.name}, {plan.trucks_per_day} trucks a day, "
                    f"{speed:g}x real time (a simulated hour every {_real_hour(speed)}); "
                    "--no-twin serves without it"
                )
            base = f"http://{host}:{port}"
            out.print(f"Landport is serving on {base}  (API docs: {base}/docs)")
            screen = screen_path(app)
            if screen is not None:
                out.print(f"the big screen: {base}{screen}")
            uvicorn.run(app, host=host, port=port, log_level="warning")
        except KeyboardInterrupt:  # Ctrl-C while the port warms up
            pass
        finally:
            if live is not None:
                live.stop()
            out.print("Landport stopped")


#: A new demo port is simulated this long, as fast as it runs, before the doors open: three
#: days of arrivals, so that the trucks sealed on the first of them (gone the next morning,
#: two days on the road as the yard plans them) reach the border ports as the port opens,
#: with those of the later days on the corridors and in the yard.
WARM_UP = timedelta(hours=72)


def morning(now: datetime) -> datetime:
    """07:45 Beijing time of today's Beijing date: the demo opens as the port's gates do
    (08:00), whatever the hour at which it is started."""
    day = beijing_date(now)
    return datetime.combine(day, time(7, 45), tzinfo=BEIJING).astimezone(UTC)


def warm(out: Any, live: Any, until: datetime) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    began = monotonic()
    with Progress(*columns, console=out, transient=True) as bar:
        task = bar.add_task(f"warming up the port ({WARM_UP.total_seconds() / 3600:g} h)", total=1)
        live.warm_up(until, progress=lambda done: bar.update(task, completed=done))
    out.print(
        f"the port is open: {until.astimezone(BEIJING):%Y-%m-%d %H:%M} Beijing time, after "
        f"{WARM_UP.total_seconds() / 3600:g} simulated hours in {monotonic() - began:.0f} s"
    )


def refuse_an_address_in_use(host: str, port: int) -> None:
    """Bind host:port as the server will (SO_REUSEADDR, every address the host resolves to)
    and let go at once: a busy port is refused now, not after the port has warmed up and
    the command has announced that it serves."""
    other = port + 1 if port < 65535 else 8000
    try:
        addresses = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except OSError as exc:
        en, zh = os_error_text(exc)
        raise InvalidInput(
            [
                Violation(
                    "--host",
                    "unknown_host",
                    f"--host {host!r} is not an interface of this machine ({en})",
                    f"--host {host!r} 不是本机的网络接口（{zh}）",
                )
            ]
        ) from None
    for family, kind, proto, _, address in dict.fromkeys(addresses):
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as asyncio's server does
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    problem = Violation(
                        "--port",
                        "port_in_use",
                        f"--port {port}: {host}:{port} is already in use (another Landport or "
                        f"another program listens on it); choose another port, e.g. "
                        f"`make demo PORT={other}` or `landport demo --port {other}`",
                        f"--port {port}：{host}:{port} 已被占用（另一个 Landport 或其他程序正在"
                        f"监听）；请换一个端口，例如 `make demo PORT={other}` 或 "
                        f"`landport demo --port {other}`",
                    )
                else:
                    en, zh = os_error_text(exc)
                    problem = Violation(
                        "--host",
                        "cannot_listen",
                        f"cannot listen on {host}:{port} ({en}); check --host and --port",
                        f"无法在 {host}:{port} 上监听（{zh}）；请检查 --host 和 --port",
                    )
                raise InvalidInput([problem]) from None


def screen_path(app: Any) -> str | None:
    """Where the app serves the big screen, or None: asked of the app by the page's route
    name, because included routers do not list their paths in `app.routes`."""
    from starlette.routing import NoMatchFound

    from landport.entrypoints.web.ui import screen_page

    try:
        return str(app.url_path_for(screen_page.screen.__name__))
    except NoMatchFound:
        return None


def refuse_a_real_port(settings: Settings) -> None:
    """The demo creates logins whose password is printed and published, runs a simulated
    port and, with --fresh, deletes the database file: never on a production site, nor on a
    database holding anyone the demo did not create (a developer's own port)."""
    problems = []
    if settings.environment == "production":
        problems.append(
            Violation(
                "LANDPORT_ENVIRONMENT",
                "demo_in_production",
                "LANDPORT_ENVIRONMENT is production: the demo (published logins, a simulated "
                "port) runs only in development or test",
                "LANDPORT_ENVIRONMENT 为 production：演示（公开的登录口令、模拟口岸）只能在 "
                "development 或 test 环境运行",
            )
        )
    others = users_outside_the_demo(settings.database.url)
    if others:
        names = ", ".join(others)
        problems.append(
            Violation(
                "LANDPORT_DATABASE__URL",
                "not_a_demo_database",
                f"LANDPORT_DATABASE__URL names a database with users the demo did not create "
                f"({names}): the demo runs on its own database only",
                f"LANDPORT_DATABASE__URL 指向的数据库含有非演示用户（{names}）：演示只能使用"
                "自己的数据库",
            )
        )
    if problems:
        raise InvalidInput(problems)


def users_outside_the_demo(url: str, *, shown: int = 5) -> list[str]:
    """Up to `shown` usernames in this database that are not demo logins (none when the
    database or its users table does not exist yet)."""
    from sqlalchemy import create_engine, select

    from landport.adapters.db import tables as t

    file = embedded_file(url)
    if file is not None and not file.is_file():
        return []  # nothing there yet (asking would create the file)
    demo_names = sorted(name for name, _, _ in demo_logins())
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not engine.dialect.has_table(conn, "users"):
                return []
            query = (
                select(t.users.c.username)
                .where(t.users.c.username.not_in(demo_names))
                .order_by(t.users.c.username)
                .limit(shown)
            )
            return list(conn.execute(query).scalars())
    finally:
        engine.dispose()


def embedded_file(url: str) -> Path | None:
    """The plain SQLite file a database URL names, or None for any other database (a
    server, SQLite in memory or opened by a URI)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    plain = parsed.get_backend_name() == "sqlite" and not parsed.query.get("uri")
    if not plain or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def latest_instant(url: str) -> datetime | None:
    """When the port in this database last changed (its audit log), or None when it is new."""
    from sqlalchemy import create_engine, func, select

    from landport.adapters.db import tables as t

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not engine.dialect.has_table(conn, "audit_log"):
                return None
            # the latest time, not the last row: a run on the real clock may follow a twin's
            at = conn.execute(select(func.max(t.audit_log.c.at))).scalar()
    finally:
        engine.dispose()
    return None if at is None else datetime.fromisoformat(at)


def start_afresh(url: str) -> str:
    """Delete the embedded SQLite database file (and its journal files) so that the demo
    starts over; any other database is left alone and said so."""
    from sqlalchemy.engine import make_url

    path = embedded_file(url)
    if path is None:
        return (
            "--fresh starts over on the embedded SQLite file only; "
            f"continuing on {make_url(url).render_as_string()}"
        )
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        name.unlink(missing_ok=True)
    return f"a fresh demo database: {path}"


def _real_hour(speed: float) -> str:
    """How long a simulated hour takes in real time, in words a newcomer reads at once."""
    seconds = 3600.0 / speed
    return f"{seconds / 60:.3g} min" if seconds >= 60 else f"{seconds:.3g} s"
