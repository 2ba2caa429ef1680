"""`landport demo`: migrate, seed the demo port and serve it, with the twin making it live."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from landport.adapters.db.migrate import upgrade
from landport.bootstrap import bootstrap, ensure_reference_data
from landport.demo.custody import seed_custody
from landport.demo.dataset import DEMO_PASSWORD, demo_logins, seed
from landport.settings import get_settings
from landport.shared.clock import FixedClock, SystemClock


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
        upgrade(settings.database.url)
        plan = load_scenario(scenario) if twin and serve else None
        now = SystemClock().now()
        # The demo's history starts 20 hours ago, so trucks are already on the road.
        past = FixedClock(now - timedelta(hours=20))
        seeding = bootstrap(settings, clock=past)
        ensure_reference_data(seeding)
        with out.status("seeding the demo port ..."):
            result = seed(seeding)
            trips = seed_custody(seeding, past, now) if result["seeded"] else {"trips": 0}
        seeding.dispose()
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
