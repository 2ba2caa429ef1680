"""Commands of truck appointments: book, reschedule, cancel, walk in, sweep no-shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from landport.enterprises.model import Actor


@dataclass(frozen=True)
class BookAppointment:
    """A declarant books an hour of a resource for its own declaration.

    `slot_start` None means the earliest hour with a free place. A full hour is refused
    (409, standby offered) unless `join_standby`: then the request waits on its standby
    list and is promoted when a place frees.
    """

    actor: Actor
    declaration_id: str
    resource_id: str
    slot_start: datetime | None = None
    join_standby: bool = False


@dataclass(frozen=True)
class RescheduleAppointment:
    actor: Actor
    appointment_id: str
    slot_start: datetime


@dataclass(frozen=True)
class CancelAppointment:
    actor: Actor
    appointment_id: str


@dataclass(frozen=True)
class AdmitWalkIn:
    """The gate clerk admits a truck without appointment into the current hour."""

    actor: Actor
    declaration_id: str
    resource_id: str
    standby_when_full: bool = True


@dataclass(frozen=True)
class SweepNoShows:
    """Close the slots past their grace period: arrived, no-show, or expired standby."""

    actor: Actor
