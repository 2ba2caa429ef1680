"""`landport demo`: migrate, seed the demo port and serve it."""

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
    ) -> None:
        """Set up the demo port (SQLite by default) and serve it on http://127.0.0.1:8000."""
        from rich.console import Console

        out = Console()
        settings = get_settings()
        upgrade(settings.database.url)
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

        out.print(
            f"Landport is serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)"
        )
        uvicorn.run(create_app(services=services), host=host, port=port, log_level="warning")
