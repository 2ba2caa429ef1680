"""What the twin's processes share: its clock, its stations and what happened to each truck."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import simpy


class SimClock:
    """The handlers' clock: the SimPy environment's time from a UTC start."""

    def __init__(self, env: simpy.Environment, start: datetime) -> None:
        self.env = env
        self.start = start

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.env.now)

    @property
    def rate(self) -> float:
        """Simulated seconds per real second: a real-time environment (the live demo) runs
        `1 / factor` times as fast as the wall; one run as fast as it goes has no pace to
        show, and says the wall's."""
        factor = getattr(self.env, "factor", None)
        return 1.0 / factor if isinstance(factor, int | float) and factor > 0 else 1.0


@dataclass
class Station:
    """A pool of lanes, bays, officers or gates, with the figures capacity planning needs."""

    name: str
    capacity: int
    hours: tuple[tuple[str, str], ...]
    res: simpy.Resource
    busy_s: float = 0.0
    peak_queue: int = 0
    served: int = 0

    def request(self) -> Any:
        req = self.res.request()
        self.peak_queue = max(self.peak_queue, len(self.res.queue))
        return req


@dataclass(frozen=True)
class TruckDraws:
    """A truck's own random numbers, a stream per purpose (its cargo, each service, its road,
    its incident): common to every configuration of a sweep with the same seed, and a path
    one configuration takes and another does not (a document check, a scan) shifts no other
    draw. A stream is made when asked for, so a finished truck keeps only its name."""

    name: str

    def __call__(self, purpose: str) -> random.Random:
        return random.Random(f"{self.name}-{purpose}")


@dataclass
class TruckRecord:
    serial: int
    cargo: str
    province: str
    port: str
    appointment: bool
    plate: str = ""
    newcomer: bool = False  # declared by an enterprise shipping here for the first time
    held_for_closure: bool = False  # released, but its border port was closed: no seal yet
    rules: tuple[str, ...] = ()  # the risk rules its declaration's assessment fired
    lane: str = ""
    declared: datetime | None = None
    arrival: datetime | None = None
    gate_in: datetime | None = None
    lane_start: datetime | None = None
    decided: datetime | None = None
    sealed: datetime | None = None
    parked: datetime | None = None
    gate_out: datetime | None = None
    border_arrival: datetime | None = None
    border_done: datetime | None = None
    handling_min: float = 0.0  # service time at the gate, lane, bay, officer; no waiting
    clearance_handling_min: float = 0.0  # the same, from the gate until the seal is armed
    lane_min: float = 0.0
    outcome: str = "declared"  # no_show | refused:<code> | shut_out | cleared | released | referred
    trip_id: str = ""
    seal_id: str = ""
    station: dict[str, str] = field(default_factory=dict)
    draws: TruckDraws = field(default_factory=lambda: TruckDraws("truck"), repr=False)


@dataclass
class TwinOptions:
    sink: Callable[[list[tuple[str, bytes]]], object]
    check_silence: Callable[[], object] | None = None
    silence_every_s: float = 900.0
    first_arrival: datetime | None = None  # the live demo starts mid-day
    departure_of: Callable[[str], datetime | None] | None = None  # a visit's planned departure
    run_tag: str = "0"  # part of the e-lock ids, so runs on one database do not collide
    first_serial: int = 0  # plates and containers start here (a second run on one database)
    tolerate_errors: bool = False  # the live demo logs a failed truck and goes on
    open_alerts: Callable[[], list[dict[str, Any]]] | None = None  # the monitoring desk's list
