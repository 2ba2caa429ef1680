"""A trip's arrival window counts from the truck's departure from the yard, not from sealing.

A sealed truck may wait in the yard's parking, under customs supervision, for its border
port's daily capacity. The window set when the seal was armed assumed it left at once, so a
truck parked for two days was reported overdue before it had left. When the yard plans a
departure, or the truck gates out, the window is computed again from that time, and the
trip keeps that departure: until it has one, a truck still in the yard is not overdue (it may
be waiting days for a parking slot or a border day).
"""

from __future__ import annotations

from datetime import datetime

from landport.declarations.ports import ClearanceContext
from landport.seals.calendar import arrival_window
from landport.seals.model import TransitTrip, TripState
from landport.seals.ports import CustodyUnitOfWork


def rebase_window(
    uow: CustodyUnitOfWork,
    ctx: ClearanceContext,
    trip: TransitTrip,
    departure: datetime,
    *,
    actor: str,
    reason: str,
) -> bool:
    """Count the window of a trip still in the yard from a departure at `departure` (never
    before the seal was armed), and keep that departure; audited. False when nothing changed
    or no window could be computed (the trip keeps the one it has).

    Once a departure is kept, a truck still in the yard after its window is overdue: it
    missed the departure planned for it. Before, the window is provisional (see `TripPlan`).
    """
    if trip.state is not TripState.IN_YARD or trip.closed_at is not None:
        return False  # on the road: the monitor has taken over
    departs_at = max(departure, trip.armed_at)
    travel = uow.routes.travel(trip.route_id, trip.route_version)
    calendar = ctx.calendars_in(uow).get(trip.exit_port)
    if travel is None or calendar is None:
        return False
    road_km, typical_hours = travel
    try:
        window = arrival_window(
            departure=departs_at,
            road_km=road_km,
            typical_hours=typical_hours,
            calendar=calendar,
        )
    except ValueError:  # the port has no opening ahead: keep the window it has
        return False
    moved = (window.start, window.end) != (trip.window_start, trip.window_end)
    if not moved and departs_at == trip.departs_at:
        return False
    before = {
        "window": [trip.window_start.isoformat(), trip.window_end.isoformat()],
        "departs_at": trip.departs_at.isoformat() if trip.departs_at else None,
    }
    uow.trips.move_window(trip.id, window.start, window.end, departs_at)
    trip.window_start, trip.window_end, trip.departs_at = window.start, window.end, departs_at
    trip.version += 1  # as stored: a later save in this transaction still matches
    uow.audit.append(
        actor=actor,
        action="trip.window_rebased" if moved else "trip.departure_set",
        entity_type="trip",
        entity_id=trip.id,
        before=before,
        after={
            "window": [window.start.isoformat(), window.end.isoformat()],
            "departs_at": departs_at.isoformat(),
            "departure": departure.isoformat(),
            "reason": reason,
        },
    )
    return True
