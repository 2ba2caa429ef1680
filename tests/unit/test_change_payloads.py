"""The payloads of alert and trip-state changes, built once for the in-process hub and the
MQTT worker (the bridged road through a real broker is in tests/integration)."""

from __future__ import annotations

from datetime import UTC, datetime

from landport.adapters.telemetry.change_payloads import (
    TRIP_STATE_KEYS,
    alert_change_payload,
    trip_state_payload,
)
from landport.adapters.telemetry.ingest import IngestReport
from landport.enterprises.model import Actor, Role
from landport.seals.alerts import Alert, AlertChange, AlertKind, TripStateChange
from landport.seals.model import TripState

AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
OFFICER = Actor("officer", Role.CUSTOMS_OFFICER)


def _report() -> IngestReport:
    report = IngestReport(received=1, accepted=0)
    alert = Alert("trip-1", AlertKind.TAMPER, AT, details={"lat": 28.3, "lon": 85.4})
    report.alert_changes.append(AlertChange("opened", alert))
    report.trip_changes.append(("trip-1", TripStateChange(TripState.AT_BORDER, AT)))
    return report


def test_the_payloads_keep_the_keys_the_screens_read() -> None:
    report = _report()
    change = report.alert_changes[0]
    assert alert_change_payload(change) == {"action": "opened", **change.alert.as_dict()}
    assert next(iter(alert_change_payload(change))) == "action"
    trip_id, state = report.trip_changes[0]
    payload = trip_state_payload(trip_id, state)
    assert payload == {"trip_id": "trip-1", "state": "at_border", "at": AT.isoformat()}
    assert tuple(payload) == TRIP_STATE_KEYS
