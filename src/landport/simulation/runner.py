"""Run the twin as fast as the machine allows, on a throw-away database by default.

`run_simulation(scenario, days=1, seed=7)` migrates a temporary SQLite file (in memory-backed
`/dev/shm` where there is one), wires the platform with the simulation clock and a seeded
selectivity draw, runs the SimPy model, and returns the figures of `metrics.summarise`.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import simpy
from sqlalchemy import Engine, event, select

from landport.adapters.db import tables as t
from landport.adapters.db.custody_queries import list_alerts
from landport.adapters.db.migrate import upgrade
from landport.adapters.db.retention import purge_positions
from landport.adapters.db.yard_store import yard_store
from landport.adapters.telemetry.ingest import IngestReport, RawMessage, TelemetryIngestor
from landport.bootstrap import Services, bootstrap, ensure_reference_data, seeded_sources
from landport.enterprises.model import Actor, Role
from landport.risk.handlers import PublishRuleset
from landport.seals.calendar import BEIJING
from landport.settings import DatabaseSettings, Settings
from landport.simulation.metrics import RaisedAlert, summarise
from landport.simulation.model import SimClock, TwinOptions
from landport.simulation.scenario import Scenario, scenario_ruleset, scenario_yard
from landport.simulation.twin import Twin
from landport.yard.commands import ChangeYardLayout

#: After the last day's arrivals: park overnight, drive a day, wait for the border to open.
DRAIN_DAYS = 3.0
#: Positions of finished trips the twin keeps: its nightly retention run (the platform's own
#: purge) bounds the scratch file, which a year would otherwise fill with ~90 M positions.
RETENTION = timedelta(days=14)
PORT_ADMIN = Actor("twin.admin", Role.PORT_ADMIN)
Progress = Callable[[float], None]


def scratch_database() -> tuple[str, Path]:
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    folder = Path(tempfile.mkdtemp(prefix="landport-twin-", dir=base))
    return f"sqlite:///{folder / 'twin.db'}", folder


#: The scratch file's pragmas: no fsync, and up to 256 MB of pages per connection (a negative
#: cache_size counts KiB).
SCRATCH_PRAGMAS = {"synchronous": "OFF", "cache_size": -262144}
#: What a run on its own throw-away file says about it (the `database` key of the figures).
SCRATCH_DATABASE = {"kind": "scratch-sqlite", "pragmas": SCRATCH_PRAGMAS}


def without_fsync(engine: Engine) -> None:
    """The scratch file is deleted after the run, so a power cut may lose it: the writer
    skips fsync (`synchronous=OFF`). Each connection also keeps up to 256 MB of pages (the
    positions' indexes take a batch's inserts all over the file; a 5-day run cost about a
    tenth less CPU). Only ever for the twin's own temporary database."""

    @event.listens_for(engine, "connect")
    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for name, value in SCRATCH_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}={value}")
        cursor.close()

    engine.dispose()  # pooled connections open again, with the pragma


def seeded_services(url: str, clock: SimClock, seed: int, reference_dir: Path) -> Services:
    """The platform as production wires it, but with the twin's clock and seed source; the
    scenario's yard is the operator's layout file in `reference_dir`."""
    new_seed, new_id = seeded_sources(seed ^ 0x5EED)
    services = bootstrap(
        Settings(database=DatabaseSettings(url=url), reference_dir=reference_dir),
        clock=clock,
        new_seed=new_seed,
        new_id=new_id,
    )
    ensure_reference_data(services)
    return services


def publish_risk_settings(services: Services, scenario: Scenario) -> None:
    """A scenario that changes the random selection has the port administrator publish the
    shipped rules with it, as a new ruleset version checked by the real validator."""
    document = scenario_ruleset(scenario)
    if document is not None:
        comment = f"random selection of scenario {scenario.name}"
        services.bus.handle(PublishRuleset(PORT_ADMIN, document, comment))


def run_simulation(
    scenario: Scenario,
    *,
    days: int = 1,
    seed: int = 7,
    database_url: str | None = None,
    progress: Progress | None = None,
    drain_days: float = DRAIN_DAYS,
    retention: timedelta = RETENTION,
) -> dict[str, Any]:
    url, folder = scratch_database()
    scratch = database_url is None
    database_url = database_url or url
    try:
        upgrade(database_url)
        env = simpy.Environment()
        start = datetime.combine(scenario.start, clock_time(0), tzinfo=BEIJING).astimezone(UTC)
        clock = SimClock(env, start)
        services = seeded_services(database_url, clock, seed, folder)
        if scratch:
            without_fsync(services.engine)
        services.bus.handle(ChangeYardLayout(PORT_ADMIN, scenario_yard(scenario)))
        publish_risk_settings(services, scenario)
        try:
            result = _run(
                services, scenario, env, clock, days, seed, progress, drain_days, retention
            )
        finally:
            services.dispose()
        result["database"] = SCRATCH_DATABASE if scratch else {"kind": "given"}
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(
    services: Services,
    scenario: Scenario,
    env: simpy.Environment,
    clock: SimClock,
    days: int,
    seed: int,
    progress: Progress | None,
    drain_days: float,
    retention: timedelta,
) -> dict[str, Any]:
    ingestor = TelemetryIngestor(services.engine, clock)
    ingest_s = [0.0]
    desk = AlertBoard(services)

    def sink(messages: list[tuple[str, bytes]]) -> object:
        t0 = time.perf_counter()
        report = ingestor.ingest_messages([RawMessage(topic, body) for topic, body in messages])
        ingest_s[0] += time.perf_counter() - t0
        desk.saw(report)
        return report

    def check_silence() -> object:
        return desk.saw(ingestor.check_silence())

    twin = Twin(
        services.bus,
        scenario,
        env,
        clock,
        seed=seed,
        days=days,
        options=TwinOptions(
            sink=sink,
            check_silence=check_silence,
            open_alerts=desk.open_alerts,
            departure_of=departure_reader(services),  # re-planned by a border closure
        ),
    )
    twin.register_exporters()
    twin.start()
    env.process(_nightly_retention(env, clock, services.engine, retention))
    until = (days + drain_days) * 86400.0
    events = 0
    wall0 = time.perf_counter()
    step, peek = env.step, env.peek
    with quiet_collector():
        while peek() < until:
            step()
            events += 1
            if progress is not None and events % 500 == 0:
                progress(env.now / until)
        env.run(until=until)
        twin.pump.flush_due(clock.now())
        ingestor.check_silence()
    wall = time.perf_counter() - wall0
    twin.parking.close()
    if progress is not None:
        progress(1.0)
    alerts = raised_alerts(services, {r.trip_id for r in twin.records if r.trip_id})
    out = summarise(twin, alerts, days=days, wall_s=wall, events=events, sim_s=until)
    # The ingest's own share: verify, de-duplicate, store and monitor, per signed message.
    out["ingest_wall_s"] = round(ingest_s[0], 3)
    out["ingest_us_per_fix"] = round(1e6 * ingest_s[0] / max(1, twin.pump.messages), 1)
    out["ingest_cache"] = {"hits": ingestor.trips.hits, "misses": ingestor.trips.misses}
    return out


def _nightly_retention(
    env: simpy.Environment, clock: SimClock, engine: Engine, keep: timedelta
) -> Generator[simpy.Event, Any, None]:
    while True:
        yield env.timeout(86400.0)
        purge_positions(engine, keep, batch=20_000, now=clock.now())


@contextmanager
def quiet_collector() -> Iterator[None]:
    """A run allocates millions of short-lived objects next to a large, long-lived heap
    (the platform, the model, the ingest's trips): with the default thresholds the cyclic
    collector kept rescanning that heap. Objects alive at the start are frozen out of its
    scans and it runs less often; reference counting still frees everything promptly."""
    gc.collect()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def departure_reader(services: Services) -> Callable[[str], datetime | None]:
    """A visit's planned departure, when planning happened outside the twin's own calls."""

    def departure_of(visit_id: str) -> datetime | None:
        with services.uow_factory() as uow:
            found = yard_store(uow).get(visit_id)
        if found is None or found.visit.status.value != "departure_scheduled":
            return None
        return found.departure_at

    return departure_of


def open_alert_reader(services: Services) -> Callable[[], list[dict[str, Any]]]:
    """The monitoring desk's screen: alerts nobody has acknowledged yet (the API's query)."""

    def open_alerts() -> list[dict[str, Any]]:
        _, rows = list_alerts(
            services.read_engine, state="open", trip_id=None, kind=None, page=1, page_size=500
        )
        return rows

    return open_alerts


class AlertBoard:
    """The desk's screen in the twin. The desk looks every minute, but alerts only open
    when the ingest runs: the query runs again only after a batch or a silence check changed
    an alert (the desk ignores alerts it has taken, so an unchanged list gives it nothing)."""

    def __init__(self, services: Services) -> None:
        self._read = open_alert_reader(services)
        self._stale = True
        self._rows: list[dict[str, Any]] = []

    def saw(self, report: IngestReport) -> IngestReport:
        self._stale |= bool(report.alert_changes)
        return report

    def open_alerts(self) -> list[dict[str, Any]]:
        if self._stale:
            self._rows, self._stale = self._read(), False
        return self._rows


def raised_alerts(services: Services, trip_ids: set[str]) -> list[RaisedAlert]:
    """Every alert the platform opened on the twin's trips (read side, not the aggregates)."""
    c = t.alerts.c
    query = select(c.trip_id, c.kind, c.severity, c.opened_at, c.state)
    with services.read_engine.connect() as conn:
        rows = conn.execute(query).all()
    return [RaisedAlert(r[0], r[1], r[2], r[3], r[4]) for r in rows if r[0] in trip_ids]
