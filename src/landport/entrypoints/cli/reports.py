"""`landport report`: figures from the event record."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from landport.entrypoints.cli.app import day_option

report_app = typer.Typer(help="Reports computed from the events.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


@report_app.command("time-release")
def time_release_command(
    on: Annotated[str, typer.Option("--date", help="Declaration date (Beijing), YYYY-MM-DD.")],
) -> None:
    """p50/p90 minutes of each time-release segment, per lane and per exit port, as JSON."""
    from landport.adapters.db.report_queries import consignments_declared_on
    from landport.bootstrap import bootstrap
    from landport.reports.time_release import time_release
    from landport.settings import get_settings

    day = day_option("--date", on)
    services = bootstrap(get_settings())
    try:
        report = time_release(consignments_declared_on(services.read_engine, day))
    finally:
        services.dispose()
    sys.stdout.write(json.dumps({"date": day.isoformat(), **report}, ensure_ascii=False) + "\n")
