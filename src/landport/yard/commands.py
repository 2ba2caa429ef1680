"""Commands of the inspection yard: a truck visit from pre-advice to gate-out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from landport.enterprises.model import Actor


@dataclass(frozen=True)
class PreAdvise:
    """The declarant announces the truck carrying its own declaration."""

    actor: Actor
    declaration_id: str
    plate: str
    appointment_id: str | None = None


@dataclass(frozen=True)
class GateIn:
    """The entry gate read a plate (licence-plate reader or the gate clerk); the declaration
    the driver carries, when the plate is pre-advised on several."""

    actor: Actor
    plate: str
    declaration_id: str | None = None


@dataclass(frozen=True)
class MoveVisit:
    """A yard step: queued, at_lane, at_bay, decided, sealed."""

    actor: Actor
    visit_id: str
    to: str
    reason: str | None = None


@dataclass(frozen=True)
class AssignParking:
    """Give the truck the free slot nearest the exit in the zone its cargo allows."""

    actor: Actor
    visit_id: str


@dataclass(frozen=True)
class ScheduleDeparture:
    actor: Actor
    visit_id: str
    at: datetime


@dataclass(frozen=True)
class PlaceHold:
    """Customs officers place customs holds, yard operators yard holds; always with a reason."""

    actor: Actor
    visit_id: str
    kind: str  # "customs" | "yard"
    reason: str


@dataclass(frozen=True)
class LiftHold:
    actor: Actor
    visit_id: str
    hold_id: str
    note: str | None = None


@dataclass(frozen=True)
class MarkFeesPaid:
    actor: Actor
    visit_id: str


@dataclass(frozen=True)
class GateOut:
    """The exit gate read a plate: open only when nothing blocks the truck."""

    actor: Actor
    plate: str


@dataclass(frozen=True)
class RecordContainerMove:
    """One line of the append-only container ledger."""

    actor: Actor
    container_number: str
    kind: str  # load | unload | transship | store
    location: str | None = None
    visit_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class DispatchVisit:
    """Send the truck to the station its lane needs (scan lane, then bay if suspicious), the
    one with the shortest expected wait; trucks that need none go to the decision."""

    actor: Actor
    visit_id: str


@dataclass(frozen=True)
class FollowClearance:
    """Bring the declaration's visit up to date with customs and the e-lock (after events)."""

    actor: Actor
    declaration_id: str


@dataclass(frozen=True)
class PlanDepartures:
    """Plan every parked, sealed truck against the border calendars and capacities."""

    actor: Actor


@dataclass(frozen=True)
class AddPortClosure:
    """A border port closes (flood, landslide, snow): keep it and re-plan the trucks due."""

    actor: Actor
    port_id: str
    start: date
    end: date  # inclusive
    reason: str


@dataclass(frozen=True)
class ChangeYardLayout:
    """The port administrator replaces the yard layout document (validated first)."""

    actor: Actor
    document: Mapping[str, Any]
    reason: str | None = None  # why, kept with the version
