"""What the yard handlers need from storage, as a Protocol (the adapter works on the unit of
work's connection, so everything a command changes commits together)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from landport.yard.departures import PortClosure, RouteLeg
from landport.yard.model import YardLayout
from landport.yard.visits import TruckVisit, VisitStatus


@dataclass(slots=True)
class YardVisit:
    """A truck visit with what the yard adds to it: slot, departure time, fees, version."""

    visit: TruckVisit
    slot_id: str | None = None
    departure_at: datetime | None = None
    fees_paid: bool = False
    version: int = 0
    stored_steps: int = 0  # history entries already persisted
    stored_holds: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class DepartureSlot:
    """What departure planning reads of a visit it does not change: the visit's status,
    departure and the border port its declaration exits by (None without a declaration), no
    history (planning runs on every parking over the whole yard)."""

    visit_id: str
    status: VisitStatus
    departure_at: datetime | None
    exit_port: str | None


@dataclass(frozen=True, slots=True)
class ContainerMove:
    container_number: str
    kind: str
    at: datetime
    actor: str
    location: str | None = None
    visit_id: str | None = None
    note: str | None = None


class VisitStore(Protocol):
    def get(self, visit_id: str) -> YardVisit | None: ...

    def with_plate(self, plate: str) -> list[YardVisit]:
        """Visits of this (normalised) plate that are pre-advised or inside the yard."""
        ...

    def open_for_declaration(self, declaration_id: str) -> YardVisit | None:
        """The declaration's visit that has not left the yard yet, if any."""
        ...

    def appointment_declaration(self, appointment_id: str) -> str | None:
        """The declaration of this appointment while it holds or waits for a place (booked,
        standby, arrived); None for an unknown or finished one."""
        ...

    def lock_declaration(self, declaration_id: str) -> None:
        """Serialise announcements of one declaration until commit: two clients announcing
        its truck at once must not both find no visit and both add one."""
        ...

    def lock_bookings_of(self, declaration_ids: Iterable[str]) -> None:
        """Hold the slots of these declarations' booked appointments until commit, as a
        booking or the no-show sweep holds them: a sweep of those slots waits for this
        command, then reads what it committed."""
        ...

    def in_status(self, *statuses: VisitStatus) -> list[YardVisit]:
        """Visits in these statuses, oldest change first (the order of a lane's queue)."""
        ...

    def booked_since(
        self, after: datetime, excluding: Collection[str] = ()
    ) -> Counter[tuple[str, datetime]]:
        """Trucks per (exit port, departure) of the visits with a departure at or after
        `after`, whatever their status (they book border capacity on their arrival day), but
        the visits `excluding`; a visit without an exit port books nothing. Counted, not
        listed: planning runs on every parking, and hundreds of trucks share a few times."""
        ...

    def departure_slots(self, *statuses: VisitStatus) -> list[DepartureSlot]:
        """The status and departure of the visits in these statuses, oldest change first."""
        ...

    def get_many(self, visit_ids: Sequence[str]) -> list[YardVisit]:
        """Whole visits (history and holds), in the order asked; unknown ids are left out."""
        ...

    def lock_departures(self) -> None:
        """Serialise departure planning until commit: two plans must not both take the last
        place of a border day."""
        ...

    def add(self, visit: YardVisit) -> None: ...

    def save(self, visit: YardVisit) -> None:
        """Persist changes; raise Conflict if the visit changed since it was read."""
        ...

    def occupied_slots(self) -> set[str]: ...

    def occupy(self, slot_id: str, visit_id: str, *, at: datetime, actor: str) -> bool:
        """Take the slot; False when someone else holds it (the primary key decides)."""
        ...

    def free_slot_of(self, visit_id: str) -> None: ...

    def add_move(self, move: ContainerMove) -> None: ...


StoreFor = Callable[[Any], VisitStore]  # the unit of work -> its visit store


class YardSources(Protocol):
    """The operator's yard data: the layout, the road to each border port, added closures."""

    def layout(self, uow: Any = None) -> YardLayout:
        """The layout in force; read on the unit of work's connection when one is given."""
        ...

    def routes(self) -> Mapping[str, RouteLeg]:
        """Road legs keyed by border port."""
        ...

    def closures(self, uow: Any = None) -> Sequence[PortClosure]:
        """Closures the operator added after the calendars were published."""
        ...

    def replace_layout(
        self,
        uow: Any,
        document: Mapping[str, Any],
        *,
        actor: str,
        at: datetime,
        reason: str | None = None,
    ) -> int:
        """Keep a validated layout document as a new version in the unit of work (it is in
        force once committed); its version number."""
        ...

    def add_closure(self, uow: Any, closure: PortClosure, *, actor: str, at: datetime) -> None:
        """Keep a closure in the unit of work; every process sees it once committed."""
        ...
