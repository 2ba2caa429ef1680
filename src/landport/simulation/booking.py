"""The twin's appointment clerk: bookings, walk-ins and the hourly no-show sweep.

Every decision is the platform's booking rules (hours, peak quotas, standby, the fairness
rule); the clerk only chooses what a forwarder would ask for and counts the answers.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from datetime import datetime
from typing import Any

import simpy

from landport.enterprises.model import Actor
from landport.messagebus import MessageBus
from landport.shared.errors import DomainError, InvalidInput
from landport.yard import appointment_commands as ac


def refusal_code(exc: DomainError) -> str:
    """The rule that refused: the first violation's code, else the error's code."""
    if isinstance(exc, InvalidInput) and exc.violations:
        return exc.violations[0].code
    return str(getattr(exc, "code", type(exc).__name__))


class BookingClerk:
    """Books scan-lane hours for trucks that come by appointment, admits the others."""

    def __init__(
        self,
        env: simpy.Environment,
        bus: MessageBus,
        gate: Actor,
        lane_ids: Sequence[str],
        rng: random.Random,
    ) -> None:
        self.env, self.bus, self.gate, self.rng = env, bus, gate, rng
        self.lane_ids = list(lane_ids)
        self.counts: Counter[str] = Counter()

    def book(self, declarant: Actor, declaration_id: str, arrival: datetime) -> Any:
        """The wished hour on either lane, else the earliest free one; None: walk in."""
        hour = arrival.replace(minute=0, second=0, microsecond=0)
        lanes = list(self.lane_ids)
        self.rng.shuffle(lanes)
        for wish in (hour, None):
            for lane in lanes:
                try:
                    made = self.bus.handle(
                        ac.BookAppointment(declarant, declaration_id, lane, wish)
                    )
                except DomainError as exc:
                    self.counts[f"refused:{refusal_code(exc)}"] += 1
                    continue
                self.counts["booked" if wish else "booked_later_hour"] += 1
                return made.result
        return None

    def walk_in(self, declaration_id: str) -> None:
        lane = self.rng.choice(self.lane_ids)
        try:
            made = self.bus.handle(ac.AdmitWalkIn(self.gate, declaration_id, lane)).result
            self.counts[f"walk_in_{made.status.value}"] += 1
        except DomainError as exc:
            self.counts[f"walk_in_refused:{refusal_code(exc)}"] += 1

    def sweeps(
        self, guarded: Callable[[Callable[[], object]], None]
    ) -> Generator[simpy.Event, Any, None]:
        """The gate clerk closes past slots every hour: arrived, no-show or expired."""
        while True:
            yield self.env.timeout(3600.0)
            guarded(lambda: self.bus.handle(ac.SweepNoShows(self.gate)))
