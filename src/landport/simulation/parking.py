"""The twin's side of parking and departures: counting the lot, and waiting for a time.

Which slot a truck gets and when it leaves are the platform's rules (`AssignParking`,
`PlanDepartures`); the twin only keeps the figures (occupancy over time, peak, refused tries)
and wakes the processes that wait: a truck whose zone was full when a parked truck leaves,
a parked truck when the yard operator's planning round gives it a departure.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime
from typing import Any

import simpy

from landport.enterprises.model import Actor
from landport.messagebus import MessageBus
from landport.yard import commands as yc


class ParkingLot:
    """Trucks parked now, slot-seconds used, the peak, and tries that found no slot."""

    def __init__(self, env: simpy.Environment, slots: int) -> None:
        self.env, self.slots = env, slots
        self.now = 0
        self.peak = 0
        self.used_s = 0.0
        self.refused = 0
        self._since = 0.0
        self._freed = env.event()

    @property
    def has_room(self) -> bool:
        return self.now < self.slots

    def wait_for_room(self) -> simpy.Event:
        """After a refused try: nothing frees a slot but a departure (look again then, or
        after an hour)."""
        self.refused += 1
        return self._freed | self.env.timeout(3600.0)

    def arrive(self) -> None:
        self._count(+1)

    def leave(self) -> None:
        self._count(-1)
        freed, self._freed = self._freed, self.env.event()
        freed.succeed()

    def close(self) -> None:
        """Account the occupancy up to now (the end of the run)."""
        self._count(0)

    def _count(self, delta: int) -> None:
        self.used_s += self.now * (self.env.now - self._since)
        self._since = self.env.now
        self.now += delta
        self.peak = max(self.peak, self.now)


class DepartureRound:
    """Parked trucks without a departure wait for the yard operator's planning round."""

    def __init__(
        self,
        env: simpy.Environment,
        bus: MessageBus,
        operator: Actor,
        *,
        departure_of: Callable[[str], datetime | None] | None = None,
    ) -> None:
        self.env, self.bus, self.operator = env, bus, operator
        self.departure_of = departure_of
        self.waiting: dict[str, simpy.Event] = {}

    def wait(self, visit_id: str) -> simpy.Event:
        """An event that fires with the visit's departure time."""
        event = self.env.event()
        self.waiting[visit_id] = event
        return event

    def run(self, guarded: Callable[[Callable[[], object]], None]) -> Generator[Any, Any, None]:
        """Every quarter hour, when a truck waits (`guarded` keeps a failure from ending it)."""
        while True:
            yield self.env.timeout(900.0)
            if self.waiting:
                guarded(self._plan)

    def _plan(self) -> None:
        result = self.bus.handle(yc.PlanDepartures(self.operator)).result
        for plan in result["planned"]:
            event = self.waiting.pop(plan["visit_id"], None)
            if event is not None:
                event.succeed(datetime.fromisoformat(plan["departure_utc"]))
        if self.departure_of is not None:  # planned by someone else meanwhile
            for visit_id in list(self.waiting):
                at = self.departure_of(visit_id)
                if at is not None:
                    self.waiting.pop(visit_id).succeed(at)
