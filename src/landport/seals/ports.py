"""What the custody handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from landport.declarations.ports import UnitOfWork
from landport.seals.approved import ApprovedRoute
from landport.seals.model import ElectronicSeal, TransitTrip


class SealRepository(Protocol):
    def get(self, seal_id: str) -> ElectronicSeal | None: ...

    def add(self, seal: ElectronicSeal) -> None: ...

    def save(self, seal: ElectronicSeal) -> None: ...

    def holding_terminal(self, terminal_id: str) -> str | None:
        """The e-lock registered with this JT/T 808 terminal number, if any."""
        ...

    def hold_for_arming(self, seal_id: str) -> None:
        """Until this transaction ends: wait for telemetry batches storing fixes of the seal,
        and keep new ones waiting, so that no fix is stored without the trip being armed."""
        ...


class RouteRepository(Protocol):
    def get(self, route_id: str, version: int | None = None) -> ApprovedRoute | None:
        """The current route, or the given approved version of it."""
        ...

    def travel(self, route_id: str, version: int) -> tuple[float, float] | None:
        """(road km, typical hours) of an approved version: a window needs no geometry."""
        ...

    def put(self, route: ApprovedRoute, *, actor: str) -> int:
        """Store a route (a re-import bumps its version); returns the version."""
        ...


class TripRepository(Protocol):
    def get(self, trip_id: str, *, for_update: bool = False) -> TransitTrip | None:
        """The trip; `for_update` locks its row until commit."""
        ...

    def active_for_declaration(
        self, declaration_id: str, *, for_update: bool = False
    ) -> TransitTrip | None:
        """The declaration's armed trip; `for_update` locks its row until commit (the gate
        lets a truck out on a trip no one may end meanwhile)."""
        ...

    def sealing(self, containers: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Which of these containers an active trip carries: container -> (trip id, plate)."""
        ...

    def hold_declaration(self, declaration_id: str) -> None:
        """Lock the declaration's row until commit: two armings of one declaration take turns
        (SQLite's writers already do)."""
        ...

    def add(self, trip: TransitTrip) -> None: ...

    def save(self, trip: TransitTrip) -> None: ...

    def move_window(
        self, trip_id: str, start: datetime, end: datetime, departs_at: datetime
    ) -> None:
        """Set the arrival window and the departure it counts from, and bump the version
        (the monitor then reads it again), whatever the version: telemetry may have moved it
        since the trip was read."""
        ...


class AlertRepository(Protocol):
    def get(self, alert_id: int) -> dict[str, Any] | None: ...

    def set_state(self, alert_id: int, *, was: str, state: str, actor: str, reason: str) -> bool:
        """Move the alert from `was` to `state`; False (nothing changed) if it is no longer
        `was`: an officer or the track changed it since it was read."""
        ...

    def open_for_trip(self, trip_id: str) -> list[dict[str, Any]]: ...


class CustodyUnitOfWork(UnitOfWork, Protocol):
    @property
    def seals(self) -> SealRepository: ...

    @property
    def routes(self) -> RouteRepository: ...

    @property
    def trips(self) -> TripRepository: ...

    @property
    def alerts(self) -> AlertRepository: ...
