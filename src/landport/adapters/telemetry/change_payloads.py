"""The JSON payloads of an ingest report's alert and trip-state changes, defined once.

Two transports carry them to the screens: the in-process hub (`live_events`) and, from
ingest workers in other processes, the broker's event topics (`mqtt_worker`, read back by
`live_events_mqtt`). Both build from here, so a screen sees the same keys either way.
"""

from __future__ import annotations

from typing import Any

from landport.seals.alerts import AlertChange, TripStateChange

#: The keys of a trip-state payload; the broker's copy adds only an `action` tag.
TRIP_STATE_KEYS = ("trip_id", "state", "at")


def alert_change_payload(change: AlertChange) -> dict[str, Any]:
    """The alert as stored, led by what happened to it (`opened`, `updated`, `closed`)."""
    return {"action": change.action, **change.alert.as_dict()}


def trip_state_payload(trip_id: str, change: TripStateChange) -> dict[str, Any]:
    """The trip's new state and when it took it; the keys are `TRIP_STATE_KEYS`."""
    return {"trip_id": trip_id, "state": change.state.value, "at": change.at.isoformat()}
