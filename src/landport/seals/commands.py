"""Commands of e-lock custody."""

from __future__ import annotations

from dataclasses import dataclass

from landport.enterprises.model import Actor
from landport.seals.approved import ApprovedRoute


@dataclass(frozen=True)
class RegisterSeal:
    """Add an e-lock to the pool, with the key it signs its telemetry with."""

    actor: Actor
    seal_id: str
    vendor: str
    protocol: str
    secret: str
    terminal_id: str | None = None


@dataclass(frozen=True)
class ResetTerminalRegistration:
    """A JT/T 808 e-lock may register again, always with a reason: a replaced or reset device
    lost the auth code it was issued. That code stops working; the terminal's next
    registration gets a new one (until then it is refused as already registered)."""

    actor: Actor
    seal_id: str
    reason: str


@dataclass(frozen=True)
class ArmSeal:
    """Seal a released declaration's containers and start the trip to the border."""

    actor: Actor
    seal_id: str
    declaration_id: str
    route_id: str


@dataclass(frozen=True)
class HandleAlert:
    """An officer acknowledges or resolves an alert, always with a reason."""

    actor: Actor
    alert_id: int
    action: str  # "acknowledge" | "resolve"
    reason: str


@dataclass(frozen=True)
class ImportRoutes:
    """Approve routes (surveyed tracks replace estimates); each import is a new version."""

    actor: Actor
    routes: tuple[ApprovedRoute, ...]


@dataclass(frozen=True)
class ChangeSealState:
    """Pool management: a returned lock back to the pool, or into and out of maintenance."""

    actor: Actor
    seal_id: str
    state: str
    reason: str


@dataclass(frozen=True)
class RemoveSeal:
    """Customs takes the e-lock off a truck still inside the yard: goods refused after they
    were sealed, or a faulty lock to replace. Always with a reason."""

    actor: Actor
    trip_id: str
    reason: str
