"""Events of e-lock custody, published after commit (the big screen listens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TripArmed:
    trip_id: str
    seal_id: str
    declaration_id: str
    at: datetime


@dataclass(frozen=True)
class AlertRaised:
    trip_id: str
    alert_key: str
    kind: str
    at: datetime


@dataclass(frozen=True)
class AlertHandled:
    """An officer acknowledged an alert (`acknowledged`) or resolved it (`resolved`): screens
    that list unresolved alerts update without asking again."""

    trip_id: str
    alert_key: str
    state: str
    at: datetime


@dataclass(frozen=True)
class TripClosed:
    trip_id: str
    outcome: str  # exited | referred | unsealed
    at: datetime
