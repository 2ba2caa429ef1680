"""A trip's monitoring state as the JSON text the trips row stores, written from parts.

The ingest rewrites every monitored trip's state once per batch, and much of it is as it
was: the alerts (immutable) and most UTC times. This writer remembers their text, so a batch
pays for what changed. The text reads back with `json.loads` as `MonitorState.as_dict()`,
except that the recent fix keys are not kept: the positions table's unique key is the store's
duplicate check (the ingest hands the core only the fixes it inserted), and those 64 keys
were three quarters of every stored state.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from landport.seals.alerts import Alert
from landport.seals.monitor_state import MonitorState

#: `json.dumps` without the spaces: what the trips row stores.
_JSON = json.JSONEncoder(separators=(",", ":"))
_TIMES_MAX = 50_000
_ALERTS_MAX = 5_000  # an alert's text is a few hundred bytes: fewer of them


class StateText:
    """`MonitorState` to stored JSON, remembering the parts that stay the same between
    batches. One per ingestor; each memory is cleared when it grows large."""

    def __init__(self) -> None:
        self._times: dict[datetime, str] = {}
        self._alerts: dict[int, tuple[Alert, str]] = {}  # by id(): the alert is kept alive

    def __call__(self, state: MonitorState) -> str:
        if len(self._times) > _TIMES_MAX:
            self._times.clear()
        if len(self._alerts) > _ALERTS_MAX:
            self._alerts.clear()
        head = state.head(self._iso)
        head["lock_events"] = state.lock_events
        alerts = ",".join(map(self._alert_json, state.alerts.values()))
        return f'{_JSON.encode(head)[:-1]},"alerts":[{alerts}],"recent":[]}}'

    def _iso(self, value: datetime | None) -> str | None:
        """ISO text, remembered for UTC times (equal UTC times are written alike, others not)."""
        if not value:
            return None
        if value.tzinfo is not UTC or type(value) is not datetime:
            return value.isoformat()
        text = self._times.get(value)
        if text is None:
            text = self._times[value] = value.isoformat()
        return text

    def _alert_json(self, alert: Alert) -> str:
        known = self._alerts.get(id(alert))
        if known is not None and known[0] is alert:
            return known[1]
        text = _JSON.encode(alert.as_dict())
        self._alerts[id(alert)] = (alert, text)
        return text
