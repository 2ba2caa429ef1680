"""What the yard tells the rest of the platform after a commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class VisitChanged:
    """A truck's visit moved (gate-in, a station, parking, gate-out) or changed otherwise
    (a hold, fees): the big screen's "in the yard" and "declared, not yet in" follow it."""

    visit_id: str
    declaration_id: str | None
    status: str
    at: datetime
