"""`landport demo`: migrate, seed the demo port and serve it, with the twin making it live."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from landport.bootstrap import bootstrap
from landport.demo.dataset import DEMO_PASSWORD, demo_logins
from landport.demo.port import seed_demo_port
from landport.settings import get_settings
from landport.shared.clock import SystemClock


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
        serve: Annotated[bool, typer.Option(help="Serve the API after seeding.")] = True,
        twin: Annotated[
            bool, typer.Option(help="Run the digital twin in the server (--no-twin: serve only).")
        ] = True,
        speed: Annotated[
            float, typer.Option(min=1.0, max=3600.0, help="Simulated seconds per real second.")
        ] = 60.0,
        scenario: Annotated[
            str | None, typer.Option(help="Scenario of the twin (default: shigatse).")
        ] = None,
        seed_value: Annotated[int, typer.Option("--seed", help="Seed of the twin's draws.")] = 7,
    ) -> None:
        """Set up the demo port (SQLite by default) and serve it on http://127.0.0.1:8000."""
        from rich.console import Console

        from landport.simulation.scenario import load_scenario

        out = Console()
        settings = get_settings()
        plan = load_scenario(scenario) if twin and serve else None
        with out.status("seeding the demo port ..."):
            result, trips = seed_demo_port(settings, SystemClock().now())
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

            env, clock = live_clock(SystemClock().now(), speed)
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
            from landport.demo.live import LiveTwin

            hub = getattr(app.state, "live_events", None)
            live = LiveTwin(
                services,
                plan,
                env,
                clock,
                seed=seed_value,
                on_report=None if hub is None else hub.on_ingest_report,
            )
            app.state.digital_twin = live
            live.start()
            out.print(
                f"digital twin: scenario {plan.name}, {plan.trucks_per_day} trucks a day, "
                f"{speed:g}x real time (a simulated hour every {60 / speed:g} min); "
                "--no-twin serves without it"
            )
        base = f"http://{host}:{port}"
        out.print(f"Landport is serving on {base}  (API docs: {base}/docs)")
        if "/screen" in {getattr(route, "path", "") for route in app.routes}:
            out.print(f"the big screen: {base}/screen")
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning")
        finally:
            if live is not None:
                live.stop()
