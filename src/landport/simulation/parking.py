"""The twin's side of parking and departures: counting the lot, and waiting for a time.

Which slot a truck gets and when it leaves are the platform's rules (`AssignParking`,
`PlanDepartures`); the twin only keeps the figures (occupancy over time, peak, refused tries)
and wakes the processes that wait: a truck whose zone was full when a parked truck leaves,
a parked truck when the yard operator's planning round gives it a departure.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from datetime import datetime
from typing import Any

import simpy

from landport.enterprises.model import Actor
from landport.messagebus import MessageBus
from landport.yard import commands as yc


class ParkingLot:
    """Trucks parked now, slot-seconds used, the peak, trucks that waited for a slot (and the
    most waiting at once), and tries the platform refused.

    A truck refused a slot queues for its zone (learnt per cargo from the platform's own
    assignments) and each truck leaving a zone wakes the first one waiting for it, so one
    departure does not send every waiting truck back to the yard office. The yard serves the
    queue first come, first served: a truck sealed while others wait for its zone joins the
    queue without asking. A truck whose zone is not known yet waits for any departure; every
    waiting truck looks again after `RETRY_S` in case a wake-up found no room.
    """

    RETRY_S = 4 * 3600.0

    def __init__(self, env: simpy.Environment, slots: int, *, window_s: float) -> None:
        """`slots`: the platform's (its zones' sum); `window_s`: the stretch from now whose
        slot-seconds count (the days of arrivals, not the days that follow the last trips
        while the lot empties)."""
        self.env, self.slots = env, slots
        self.now = 0
        self.peak = 0
        self.used_s = 0.0
        self.window_s = window_s
        self.refused = 0
        self.waiting = 0
        self.peak_waiting = 0
        self.waited = 0
        self._since = env.now
        self._window_end = env.now + window_s
        self._zone_of: dict[str, str] = {}  # cargo -> the zone the platform parks it in
        self._queues: dict[str | None, deque[simpy.Event]] = {}

    @property
    def has_room(self) -> bool:
        return self.now < self.slots

    def queued(self, cargo: str) -> bool:
        """Trucks wait for this cargo's zone (known from an earlier assignment)."""
        zone = self._zone_of.get(cargo)
        return zone is not None and any(t.callbacks for t in self._queues.get(zone, ()))

    def wait_for_room(
        self, cargo: str, *, refused: bool = True, front: bool = False
    ) -> simpy.Event:
        """After a refused try, or behind the queue: wait for a truck leaving the zone.
        `front`: a truck woken in its turn that did not park (another woken truck took the
        slot) keeps its place at the head of the line."""
        self.refused += refused
        turn = self.env.event()
        queue = self._queues.setdefault(self._zone_of.get(cargo), deque())
        (queue.appendleft if front else queue.append)(turn)
        return turn | self.env.timeout(self.RETRY_S)

    def queue_up(self) -> None:
        """A sealed truck found no slot and waits in the yard lane (once per truck)."""
        self.waiting += 1
        self.waited += 1
        self.peak_waiting = max(self.peak_waiting, self.waiting)

    def arrive(self, cargo: str, zone: str | None, *, waited: bool = False) -> None:
        """A truck parks; `waited`: it had queued up."""
        self.waiting -= waited
        if zone is not None:
            self._zone_of[cargo] = zone
        self._count(+1)

    def leave(self, zone: str | None) -> None:
        self._count(-1)
        for key in dict.fromkeys((zone, None)):  # the zone first: a set orders by hash
            queue = self._queues.get(key, deque())
            while queue:
                turn = queue.popleft()
                if turn.callbacks:  # still waited for (not given up after the hour)
                    turn.succeed()
                    break

    def close(self) -> None:
        """Account the occupancy up to now (the end of the run)."""
        self._count(0)

    def _count(self, delta: int) -> None:
        counted = min(self.env.now, self._window_end) - min(self._since, self._window_end)
        self.used_s += self.now * counted
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
