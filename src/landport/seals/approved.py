"""Approved transit routes as the custody chain keeps them: a corridor and its permitted zones."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from landport.seals.trip_plan import Thresholds

#: The zones on the way where a sealed truck may stop without an alert (the yard and the
#: border port are where its trip starts and ends).
STOPPING_KINDS = frozenset({"rest_stop", "checkpoint"})
#: How long a truck stays in a stopping place before it counts as resting there: the dwell
#: after which a stop on the open road is an unscheduled stop.
RESTING_AFTER = timedelta(minutes=Thresholds().stop_minutes)


@dataclass(frozen=True, slots=True)
class PermittedZone:
    """A place where a sealed truck may stop (yard, rest stop, checkpoint) or open (border)."""

    id: str
    kind: str  # yard | rest_stop | checkpoint | border_port
    lon: float
    lat: float
    radius_m: float
    name_en: str = ""
    name_zh: str = ""
    confidence: str = "estimate"

    @property
    def stopping_place(self) -> bool:
        """A place on the way where the driver may stop (a rest stop, a checkpoint)."""
        return self.kind in STOPPING_KINDS

    def resting_at(self, since: datetime | None, last_fix: datetime | None) -> bool:
        """Whether a truck whose fixes have lain in this zone from `since` to `last_fix` is
        stopping here, not driving through: a stopping place, for as long as the monitor
        takes a stop on the open road to last (`RESTING_AFTER`)."""
        if not self.stopping_place or since is None or last_fix is None:
            return False
        return last_fix - since >= RESTING_AFTER

    @property
    def names(self) -> tuple[str, str]:
        """(English, Chinese) as people read it: each falls back to the other, then the id."""
        return self.name_en or self.name_zh or self.id, self.name_zh or self.name_en or self.id

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "lon": self.lon,
            "lat": self.lat,
            "radius_m": self.radius_m,
            "name_en": self.name_en,
            "name_zh": self.name_zh,
            "confidence": self.confidence,
        }


@dataclass(frozen=True, slots=True)
class ApprovedRoute:
    """A corridor from the land port to one border port, with its road distance and pace."""

    route_id: str
    name: str
    from_place: str
    to_port: str
    coordinates: tuple[tuple[float, float], ...]  # (lon, lat) WGS84
    road_km: float
    typical_hours: float
    half_width_m: float = 500.0
    zones: tuple[PermittedZone, ...] = field(default_factory=tuple)
    confidence: str = "estimate"
    version: int = 1

    @property
    def approximate(self) -> bool:
        """Anything not surveyed or sourced is shown to users as approximate."""
        return not self.confidence.startswith(("sourced", "surveyed"))
