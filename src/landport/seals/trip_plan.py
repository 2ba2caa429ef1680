"""What a monitored trip is held to: its corridor, zones, arrival window and thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from landport.seals.corridor import Corridor, ZoneKind
from landport.seals.model import TransitTrip


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Tuned against false alarms: one bad fix must never page an officer."""

    deviation_fixes: int = 3  # consecutive accepted fixes outside the corridor
    deviation_far_m: float | None = None  # a fix this far off opens a deviation at once
    stop_minutes: float = 20.0  # dwell outside permitted zones before it is unscheduled
    stop_speed_kmh: float = 3.0
    stop_radius_m: float = 150.0  # GNSS wander of a parked truck
    signal_lost_minutes: float = 30.0
    low_battery_pct: float = 20.0
    battery_hysteresis_pct: float = 5.0
    max_plausible_kmh: float = 180.0  # faster between fixes: the later fix is GNSS noise
    en_route_after_km: float = 5.0  # chainage past which a departed truck is en route
    max_jump_alerts: int = 20  # jumps beyond this are only counted

    @property
    def signal_lost_after(self) -> timedelta:
        return timedelta(minutes=self.signal_lost_minutes)


def _aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")


@dataclass(frozen=True, slots=True)
class TripPlan:
    """Built per trip by the integrator from the `TransitTrip` and its route's `Corridor`."""

    trip_id: str
    seal_id: str
    corridor: Corridor
    departure_zone: str
    destination_zone: str
    armed_at: datetime  # silence is counted from here until the first fix
    window_start: datetime
    window_end: datetime
    thresholds: Thresholds = field(default_factory=Thresholds)
    # Sealed in the yard with no departure planned yet: the window assumed a departure at
    # arming, so it is provisional and a truck the fixes still place in the yard is not
    # overdue. A truck that leaves the yard zone anyway is held to the window. False by
    # default (a hand-made plan is held to its window); `for_trip` sets it from the trip.
    awaits_departure: bool = False

    def __post_init__(self) -> None:
        for name in ("armed_at", "window_start", "window_end"):
            _aware(name, getattr(self, name))
            object.__setattr__(self, name, getattr(self, name).astimezone(UTC))
        if self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        for zone in (self.departure_zone, self.destination_zone):
            if zone not in {z.id for z in self.corridor.zones}:
                raise ValueError(f"zone {zone} is not a zone of corridor {self.corridor.route_id}")

    @classmethod
    def for_trip(
        cls,
        trip: TransitTrip,
        corridor: Corridor,
        *,
        departure_zone: str | None = None,
        thresholds: Thresholds | None = None,
    ) -> TripPlan:
        """Departure: the corridor's first yard (unless given); destination: the exit port."""
        yard = departure_zone or next(z.id for z in corridor.zones if z.kind is ZoneKind.YARD)
        return cls(
            trip_id=trip.id,
            seal_id=trip.seal_id,
            corridor=corridor,
            departure_zone=yard,
            destination_zone=trip.exit_port,
            armed_at=trip.armed_at,
            window_start=trip.window_start,
            window_end=trip.window_end,
            thresholds=thresholds or Thresholds(),
            awaits_departure=trip.departs_at is None,
        )
