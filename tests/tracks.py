"""Hand-made e-lock tracks: the test-side name of `landport.simulation.tracks`."""

from datetime import timedelta
from pathlib import Path

from landport.seals.trip_plan import Thresholds, TripPlan
from landport.simulation.tracks import (
    ROUTE_IDS,
    T0,
    Delivery,
    Detour,
    Gap,
    Jump,
    LockOpen,
    Stop,
    Track,
    build_track,
    shipped_corridors,
    with_fix,
)

DATA = Path(__file__).resolve().parents[1] / "src" / "landport" / "data"


def plan_for(
    track: Track,
    *,
    trip_id: str = "TRIP-1",
    window_hours: float = 48.0,
    thresholds: Thresholds | None = None,
) -> TripPlan:
    """The monitoring plan of a track's trip: sealed at the yard when the track starts, due
    at the corridor's border port within `window_hours`."""
    c = track.corridor
    return TripPlan(
        trip_id=trip_id,
        seal_id=track.fixes[0].seal_id,
        corridor=c,
        departure_zone="shigatse-land-port",
        destination_zone=str(c.meta.to_place),
        armed_at=track.start,
        window_start=track.start,
        window_end=track.start + timedelta(hours=window_hours),
        thresholds=thresholds or Thresholds(),
    )


__all__ = [
    "DATA",
    "ROUTE_IDS",
    "T0",
    "Delivery",
    "Detour",
    "Gap",
    "Jump",
    "LockOpen",
    "Stop",
    "Track",
    "build_track",
    "plan_for",
    "shipped_corridors",
    "with_fix",
]
