"""The same queueing network as the twin, without the domain: the speed ceiling.

Gates, document officers, scan lanes, examination bays, sealing stations, the overnight
park, the road and the border officers, with the scenario's arrival profile and service
times, but no commands, no database and no telemetry. Comparing its events per second with
the twin's says what the real rules cost; its throughput is a cross-check of the twin's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Generator
from typing import Any

import simpy

from landport.simulation.scenario import Scenario, minutes_of_day, seconds_until_open

Process = Generator[simpy.Event, Any, None]
# Lane shares when no rules decide them (close to the default ruleset's outcome).
LANE_SHARES = {"green": 0.6, "yellow": 0.25, "red": 0.15}


class BareModel:
    def __init__(self, scenario: Scenario, *, seed: int, days: int) -> None:
        self.s = scenario
        self.rng = random.Random(seed)
        self.days = days
        self.env = simpy.Environment()
        s = scenario
        self.res = {
            "gate": simpy.Resource(self.env, s.gates_in),
            "document_officer": simpy.Resource(self.env, s.document_officers),
            "scan_lane": simpy.Resource(self.env, s.scan_lanes),
            "exam_bay": simpy.Resource(self.env, s.exam_bays),
            "sealing": simpy.Resource(self.env, s.sealing_stations),
            "border": simpy.Resource(self.env, s.border_officers * len(s.border_capacity)),
        }
        self.handled = 0
        self.shut_out = 0
        self.waits: list[float] = []  # arrival to sealed, per truck

    def _tri(self, name: str) -> float:
        low, mode, high = self.s.service_minutes[name]
        return self.rng.triangular(low, high, mode) * 60.0

    def _open_wait(self, hours: tuple[tuple[str, str], ...]) -> float:
        return seconds_until_open((self.env.now / 60.0) % 1440, hours)

    def _use(self, name: str, seconds: float, hours: tuple[tuple[str, str], ...]) -> Process:
        with self.res[name].request() as req:
            yield req
            wait = self._open_wait(hours)
            if wait:
                yield self.env.timeout(wait)
            yield self.env.timeout(seconds)

    def _truck(self) -> Process:
        s, arrived = self.s, self.env.now
        lane_hours = s.lane_hours
        yield from self._use("gate", self._tri("gate_check"), s.gate_hours)
        draw = self.rng.random()
        green, yellow = LANE_SHARES["green"], LANE_SHARES["yellow"]
        lane = "green" if draw < green else "yellow" if draw < green + yellow else "red"
        if lane == "yellow":
            yield from self._use("document_officer", self._tri("document_check"), lane_hours)
        yield from self._use("scan_lane", self._tri("scan"), lane_hours)
        if lane == "red" and self.rng.random() < s.suspicious_scan_rate:
            yield from self._use("exam_bay", self._tri("examination"), lane_hours)
            if s.refused_share and self.rng.random() < s.refused_share:
                self.shut_out += 1
                return  # goods refused: the truck goes back inland, unsealed
        yield from self._use("sealing", self._tri("sealing"), lane_hours)
        self.handled += 1
        self.waits.append(self.env.now - arrived)
        depart = minutes_of_day(s.departure_window[0]) * 60.0
        to_morning = (depart - self.env.now % 86400.0) % 86400.0
        yield self.env.timeout(to_morning)
        # the road: the planned two days, nights at rest stops (the twin's drivers)
        yield self.env.timeout(self.rng.uniform(46.0, 50.0) * 3600.0)
        yield self.env.timeout(self._open_wait((("10:00", "17:00"),)))
        yield from self._use("border", self._tri("border_check"), (("00:00", "24:00"),))

    def _arrivals(self) -> Process:
        s = self.s
        hours = sorted(s.by_hour)
        for day in range(self.days):
            times = sorted(
                day * 86400.0
                + self.rng.choices(hours, weights=[s.by_hour[h] for h in hours])[0] * 3600.0
                + self.rng.uniform(0, 3600.0)
                for _ in range(s.trucks_per_day)
            )
            for at in times:
                yield self.env.timeout(max(0.0, at - self.env.now))
                if self.rng.random() >= s.appointment_share * s.no_show_rate:
                    self.env.process(self._truck())
            yield self.env.timeout(max(0.0, (day + 1) * 86400.0 - self.env.now))

    def _ticks(self) -> Process:
        """The telemetry batches of the twin, as bare events."""
        while True:
            yield self.env.timeout(self.s.batch_s)

    def run(self, drain_days: float = 3.0) -> dict[str, Any]:
        self.env.process(self._arrivals())
        self.env.process(self._ticks())
        until = (self.days + drain_days) * 86400.0
        events = 0
        wall0 = time.perf_counter()
        while self.env.peek() < until:
            self.env.step()
            events += 1
        wall = time.perf_counter() - wall0
        return {
            "trucks_handled": self.handled,
            "trucks_shut_out": self.shut_out,
            "events": events,
            "wall_s": round(wall, 4),
            "events_per_s": round(events / wall) if wall else None,
        }
