"""The living demo port: the twin runs inside the server, in accelerated real time.

The server and the twin share one `Services` (bus, database, clock), so whatever listens to
the bus (the live event stream, the big screen) sees the twin's trucks arrive, queue, clear,
park and leave, and its e-locks report through an embedded broker on the same ingest path
as MQTT. The clock is the twin's: at `speed` 60 a simulated hour passes in a minute, and
the API answers in that time. Each command is one short transaction, so requests never
wait long for the SQLite writer.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import simpy
import simpy.rt

from landport.adapters.telemetry.embedded import EmbeddedBroker
from landport.adapters.telemetry.ingest import IngestReport, TelemetryIngestor
from landport.bootstrap import Services
from landport.simulation.model import SimClock, TwinOptions
from landport.simulation.runner import departure_reader, open_alert_reader
from landport.simulation.scenario import Scenario
from landport.simulation.twin import Twin

log = logging.getLogger(__name__)


# The live demo is for visitors: its twin's monitoring desk takes 5 to 20 simulated minutes
# to acknowledge an alert and 1 to 4 hours to resolve it (at 60x, one to four real minutes),
# so a visitor on the customs console can handle one before the twin's officers do; and its
# trips meet `VISITOR_INCIDENTS` times the scenario's incidents (the shipped 3.5 a day would
# show an alert every seven real minutes at best). `landport simulate` keeps the scenario.
VISITOR_ACKNOWLEDGE_MINUTES = (5.0, 10.0, 20.0)
VISITOR_RESOLVE_MINUTES = (60.0, 120.0, 240.0)
VISITOR_INCIDENTS = 4.0


def for_visitors(scenario: Scenario) -> Scenario:
    """The scenario as the live demo runs it (above)."""
    return replace(
        scenario,
        acknowledge_minutes=VISITOR_ACKNOWLEDGE_MINUTES,
        resolve_minutes=VISITOR_RESOLVE_MINUTES,
        incidents=tuple(
            replace(i, per_day=i.per_day * VISITOR_INCIDENTS) for i in scenario.incidents
        ),
    )


def live_clock(start: datetime, speed: float) -> tuple[simpy.rt.RealtimeEnvironment, SimClock]:
    """A real-time SimPy environment and the clock the platform will read from it."""
    env = simpy.rt.RealtimeEnvironment(factor=1.0 / speed, strict=False)
    return env, SimClock(env, start)


class LiveTwin:
    """Start, watch and stop the twin on a background thread of the server process."""

    def __init__(
        self,
        services: Services,
        scenario: Scenario,
        env: simpy.rt.RealtimeEnvironment,
        clock: SimClock,
        *,
        seed: int = 7,
        days: int = 365,
        on_report: Callable[[IngestReport], None] | None = None,
    ) -> None:
        self.services = services
        self.env = env
        self.clock = clock
        self.ingestor = TelemetryIngestor(services.engine, clock)
        self.on_report = on_report
        self.broker = EmbeddedBroker(self.ingestor, on_report=on_report)
        self.twin = Twin(
            services.bus,
            scenario,
            env,
            clock,
            seed=seed,
            days=days,
            options=TwinOptions(
                sink=self._publish,
                check_silence=self._check_silence,
                first_arrival=clock.now(),
                departure_of=departure_reader(services),
                run_tag=clock.now().strftime("%y%m%d%H%M%S"),
                first_serial=random.Random(clock.now().timestamp()).randrange(2_000_000),
                tolerate_errors=True,
                open_alerts=open_alert_reader(services),
            ),
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._begun = False
        self._warming = False
        self.error: BaseException | None = None

    def _publish(self, messages: list[tuple[str, bytes]]) -> object:
        for topic, payload in messages:
            self.broker.publish(topic, payload)
        if self._warming:  # ingested before the twin moves on, as fast as it runs
            self.broker.flush()
        return None

    def _check_silence(self) -> object:
        report = self.ingestor.check_silence()
        if self.on_report is not None:
            self.on_report(report)
        return report

    def _begin(self) -> None:
        if not self._begun:
            self._begun = True
            self.twin.register_exporters()
            self.twin.start()

    def warm_up(self, until: datetime, progress: Callable[[float], None] | None = None) -> None:
        """Run the twin as fast as it goes up to `until`, each telemetry batch ingested before
        it moves on, so that the doors open on a port in full swing: trucks parked overnight,
        on the corridors, at the border, alerts raised and handled. Then `start` paces it."""
        self._begin()
        end = self.env.now + (until - self.clock.now()).total_seconds()
        step = simpy.Environment.step  # the plain step: no sleeping between events
        self._warming = True
        try:
            steps = 0
            while self.env.peek() < end:
                step(self.env)
                steps += 1
                if progress is not None and steps % 200 == 0:
                    progress(self.env.now / end)
        finally:
            self._warming = False
            self.env.env_start = self.env.now  # real time is paced from here on
        if progress is not None:
            progress(1.0)

    def start(self) -> None:
        self._begin()
        self._beat = self.env.process(self._heartbeat())
        self._thread = threading.Thread(target=self._run, name="digital-twin", daemon=True)
        self._thread.start()

    def _heartbeat(self) -> Any:
        """Keeps the clock moving between trucks and stops the run when asked."""
        while not self._stop.is_set():
            yield self.env.timeout(30.0)

    def _run(self) -> None:
        try:
            self.env.sync()  # real time starts now, not when the environment was built
            self.env.run(until=self._beat)
        except BaseException as exc:  # the server keeps serving; the status shows why
            self.error = exc
            log.exception("the digital twin stopped")

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.broker.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> dict[str, Any]:
        recs, desk = self.twin.records, self.twin.desk
        return {
            "running": self.running,
            "simulated_time": self.clock.now().isoformat(),
            "trucks_declared": len(recs),
            "trucks_in_yard": sum(1 for r in recs if r.gate_in and not r.gate_out),
            "trucks_on_the_road": sum(
                1 for r in recs if r.gate_out and r.trip_id and not r.border_done
            ),
            "trucks_shut_out": sum(1 for r in recs if r.outcome == "shut_out"),
            "trucks_released_at_border": sum(1 for r in recs if r.outcome == "released"),
            "alerts_acknowledged": desk.outcomes["acknowledged"] if desk else 0,
            "alerts_resolved": desk.outcomes["resolved"] if desk else 0,
            "error": None if self.error is None else repr(self.error),
        }
